export { createInspector } from './inspector/inspector';
export type { Inspector, InspectorOptions } from './inspector/inspector';
export { main } from './main';
