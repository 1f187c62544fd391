import { describe, expect, it } from 'vitest';
import { inferDebugLanguage } from '../../../server/debug/debugLanguage';

/** debug.language when a config leaves it out, as Nocalhost's bookinfo does. */
const infer = (debugCommand: string[], image: string, files: string[] = []) =>
  inferDebugLanguage({ debugCommand, image, ...(files.length > 0 ? { localDir: '/src' } : {}) }, (f) => files.some((name) => f === `/src/${name}`));

describe('inferDebugLanguage', () => {
  it.each([
    // Nocalhost's reference bookinfo: the dev images say it (command.debug is a script).
    [['./debug.sh'], 'nocalhost-docker.pkg.coding.net/nocalhost/dev-images/golang:latest', [], 'go'],
    [['./debug.sh'], 'nocalhost-docker.pkg.coding.net/nocalhost/dev-images/python:3.7.7-slim-productpage-with-pydevd', [], 'python'],
    [['sh', './debug.sh'], 'nocalhost-docker.pkg.coding.net/nocalhost/dev-images/node:12.18.1-slim', [], 'node'],
    [['./gradlew', 'bootRun', '--debug-jvm'], 'nocalhost-docker.pkg.coding.net/nocalhost/dev-images/java:latest', [], 'java'],
    // The debugger command wins over the image.
    [['dlv', 'debug', '--headless', '--listen=:9009'], 'docker.io/nhd/dev-node:v1', [], 'go'],
    [['python3', '-m', 'debugpy', '--listen', '0.0.0.0:9009', 'app.py'], 'ubuntu:24.04', [], 'python'],
    // A plain image: the source's build files.
    [['./debug.sh'], 'ubuntu:24.04', ['go.mod'], 'go'],
    [['./debug.sh'], 'ubuntu:24.04', ['requirements.txt', 'setup.py'], 'python'],
  ])('%j in %s (source %j) is %s', (command, image, files, language) => {
    expect(infer(command, image, files)?.language).toBe(language);
  });

  it('says what gave it away', () => {
    expect(infer(['dlv', 'exec', './app'], 'x:1')?.because).toBe('command.debug (dlv exec ./app) starts its debugger');
    expect(infer(['./debug.sh'], 'golang:1.22')?.because).toBe('the dev image golang:1.22 is a go image');
    expect(infer(['./debug.sh'], 'ubuntu:24.04', ['go.mod'])?.because).toBe('the source has go.mod');
  });

  it('asks rather than guesses: no clue, or clues that disagree', () => {
    expect(infer(['./debug.sh'], 'ubuntu:24.04')).toBeUndefined();
    expect(infer(['./debug.sh'], 'golang:1.22', ['package.json'])).toBeUndefined();
    expect(infer(['./debug.sh'], 'ubuntu:24.04', ['go.mod', 'package.json'])).toBeUndefined();
  });
});
