// Loaded when a page first uses `mockSocketClient` (see there).
export { createInProcessClient, inProcessServers, portOf } from '@socketdb/core/in-process';
