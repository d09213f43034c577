/**
 * The matchq WebSocket protocol, declared once: every frame both ways as a TypeScript type
 * and a zod schema, the limits and close codes, the fast builders of the hot frames and the
 * parsers. The gateway, the SDK, the test clients and the load generator all import it;
 * no other file declares a frame. docs/protocol.md describes it in words.
 */
export * from './limits.js';
export * from './errors.js';
export * from './client-frames.js';
export * from './room.js';
export * from './server-frames.js';
export * from './parse.js';
export * from './builders.js';
