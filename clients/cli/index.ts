/**
 * clients/cli: the `nhd` command. It imports protocol/ only, except serve.ts, the composition
 * root, which wires server/ and adapters/ together.
 */
import { run } from './main';

run();
