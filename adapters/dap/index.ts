/**
 * adapters/dap: the Debug Adapter Protocol's wire, on @vscode/debugadapter. It implements the
 * DapChannel and DapConnector ports; the proxy's logic (path mapping, reconnect, replay) is
 * server/debug's. Imports server/ports only.
 */
export { connectDap, dapStreamChannel } from './dapChannel';
