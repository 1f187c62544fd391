import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugLanguageName } from '../../protocol';

/**
 * `debug.language` when the dev config leaves it out, as Nocalhost's own bookinfo config does (its
 * IDE plugins guess from the dev image). The clues, strongest first: the debugger command.debug
 * starts, the dev image's name, then the local source's build files. A clue that names another
 * language than the one before it makes the answer "unknown": nhd asks rather than guesses wrong.
 */

export interface LanguageClues {
  debugCommand: readonly string[];
  image: string;
  /** The local source directory, when the session syncs one. */
  localDir?: string;
}

export interface InferredLanguage {
  language: DebugLanguageName;
  /** What gave it away, for the log and the session's answer: "command.debug runs dlv". */
  because: string;
}

const COMMAND_CLUES: [RegExp, DebugLanguageName][] = [
  [/(^|[\s/])dlv(\s|$)/, 'go'],
  [/debugpy|pydevd|ptvsd/, 'python'],
  [/--inspect(-brk)?(=|\s|$)/, 'node'],
  [/--debug-jvm|jdwp|-agentlib:jdwp/, 'java'],
];

const IMAGE_CLUES: [RegExp, DebugLanguageName][] = [
  [/(^|[/-])(golang|go)([:-]|$)/, 'go'],
  [/(^|[/-])python([:\d.-]|$)/, 'python'],
  [/(^|[/-])(node|nodejs)([:-]|$)/, 'node'],
  [/(^|[/-])(java|openjdk|temurin|gradle|maven)([:-]|$)/, 'java'],
];

const SOURCE_CLUES: [string, DebugLanguageName][] = [
  ['go.mod', 'go'],
  ['requirements.txt', 'python'],
  ['pyproject.toml', 'python'],
  ['setup.py', 'python'],
  ['package.json', 'node'],
  ['build.gradle', 'java'],
  ['build.gradle.kts', 'java'],
  ['pom.xml', 'java'],
];

export function inferDebugLanguage(clues: LanguageClues, exists: (file: string) => boolean = fs.existsSync): InferredLanguage | undefined {
  const command = clues.debugCommand.join(' ');
  const fromCommand = COMMAND_CLUES.find(([re]) => re.test(command));
  if (fromCommand) return { language: fromCommand[1], because: `command.debug (${command}) starts its debugger` };
  const imageName = clues.image.toLowerCase().split('@')[0]!;
  const fromImage = IMAGE_CLUES.filter(([re]) => re.test(imageName)).map(([, l]) => l);
  const sourceFiles = clues.localDir ? SOURCE_CLUES.filter(([file]) => exists(path.join(clues.localDir!, file))) : [];
  const candidates = new Set([...fromImage, ...sourceFiles.map(([, l]) => l)]);
  if (candidates.size !== 1) return undefined;
  const language = [...candidates][0]!;
  const because = fromImage.length > 0 ? `the dev image ${clues.image} is a ${language} image` : `the source has ${sourceFiles.map(([f]) => f).join(' and ')}`;
  return { language, because };
}
