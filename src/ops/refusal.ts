/** Why `npm run migrate` will not run: said to the operator as it is, with exit code 2, and nothing written. */
export class MigrationRefused extends Error {
  override readonly name = 'MigrationRefused';
}
