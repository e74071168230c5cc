export { WORKSPACE_CONSUMER, WorkspaceKeeper } from './keeper';
export type { WorkspaceKeeperOptions, WorkspaceMarketData } from './keeper';
