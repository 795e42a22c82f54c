/** The entry of `npm run restore -- FILE` (`node dist/ops/restore.js FILE` in the image): see restore-backup.ts. */
import { runCommand } from './command.js';
import { restoreBackup } from './restore-backup.js';

await runCommand({ name: 'restore', file: 'a tar file made by npm run backup', run: restoreBackup });
