/**
 * Why an operations command stops without doing anything harmful. `npm run backup` and `npm run
 * restore` exit with sysexits.h's codes, as the replica's bad-configuration exit (78) does, so a script
 * can tell the reasons apart; `npm run migrate` has one code for all of its refusals.
 */
export const EXIT = {
  usage: 64,
  /** The backup file is not a Chorus backup, or does not hold what its manifest says. */
  dataError: 65,
  /** What was to be read is not there: no backup file, no store in DATA_DIR. */
  noInput: 66,
  /** What was to be written is there already (or its folder is not). */
  cannotCreate: 73,
  /** Not now: a replica is using the store. */
  tryLater: 75,
  config: 78,
} as const;

/** A backup's or restore's refusal: `message` says what to do about it, and is all the operator is shown. */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Why `npm run migrate` will not run: said to the operator as it is, with exit code 2, and nothing written. */
export class MigrationRefused extends Error {
  override readonly name = 'MigrationRefused';
}
