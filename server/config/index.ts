// server/config owns Nocalhost's dev config: reading `.nocalhost/config.yaml` in all its shapes and the
// `dev.nocalhost` annotation, templating (${VAR}, _INCLUDE_, envFile), validation, the normalized model,
// completion and hover for editors, and the JSON Schema of the format.
//
// Architecture Invariant: it imports only `yaml` and node built-ins, never vscode-languageserver or any
// LSP types (server/rpc converts), nor anything else in the repository. Only fromDisk.ts touches the
// file system; everything else is pure and gets files through an injected readFile.

export type {
  ApplicationInfo,
  ConfigCompletion,
  ConfigDiagnostic,
  ConfigDoc,
  ConfigHover,
  ContainerConfig,
  DebugConfig,
  DebugLanguage,
  DependLabelSelector,
  DevCommands,
  DevConfig,
  DevConfigInput,
  DevConfigResult,
  DocFormat,
  EnvFrom,
  EnvVar,
  InstallConfig,
  PatchItem,
  PersistentVolumeDir,
  Position,
  QuotaList,
  Range,
  ResourceQuota,
  ServiceConfig,
  ServiceType,
  SourceRef,
  SyncConfig,
} from './types';
export { parseDevConfig } from './parse';
export { loadDevConfigFile, findDevConfigFile, readFileOrUndefined } from './fromDisk';
export { completeDevConfig, hoverDevConfig } from './lsp';
export { generateJsonSchema, renderJsonSchema, renderFieldReference, renderV1Reference } from './schema';
export { renderTemplate, parseEnvFile } from './template';
export { devAnnotation } from './manifest';
export { appFields, serviceFields, type Field, type FieldType } from './fields';
export { defaultDevConfig, selectDevConfig } from './select';
export { notAppliedFor } from './diagnostics';
