export { createDesk, VERSION } from './desk';
export type { Desk, DeskDependencies } from './desk';
export { ConfigError, CONFIG_FILE_ENV, CONFIG_FILE_NAME, DeskConfigSchema, EXTERNAL_SETTINGS, loadConfig } from './config';
export type { ConfigSources, DeskConfig, DeskConfigInput } from './config';
export { CONTROL_TOKEN_FILE, ensureDataDir, loadOrCreateControlToken } from './data-dir';
export { Lifecycle, StartError } from './lifecycle';
export type { Service } from './lifecycle';
export { installShutdownHandlers } from './shutdown';
export type { ShutdownOptions } from './shutdown';
