/** The entry of `npm run backup -- FILE` (`node dist/ops/backup.js FILE` in the image): see take-backup.ts. */
import { runCommand } from './command.js';
import { takeBackup } from './take-backup.js';

await runCommand({ name: 'backup', file: 'the tar file to write; it must not exist', run: takeBackup });
