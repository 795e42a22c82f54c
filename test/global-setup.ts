/**
 * Compiles the app once per test run, as `npm start` does, so tests that run real replica processes
 * (`dist/app/main.js`) test the code under test and never race each other building it.
 */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
