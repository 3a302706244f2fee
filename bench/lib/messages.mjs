// The IPC messages between the orchestrator (bench/run.mjs) and its forked load generator
// (bench/loadgen.mjs): one definition both sides import, type-checked by tsconfig.tools.json.

/**
 * Orchestrator → load generator, once: what to run against which target.
 * @typedef {object} LoadgenConfig
 * @property {string} scenario a key of loadgen's SCENARIOS
 * @property {'switchboard' | 'socketio' | 'centrifugo' | 'peerjs'} target
 * @property {string[]} urls the target's client URLs (one per replica)
 * @property {Record<string, number>} pids server process ids by name (what `kill` may name)
 * @property {string} [idlePidName] the process whose memory the idle scenario measures
 * @property {string} jwtSecret
 * @property {Record<string, any>} params the scenario's parameters (bench/run.mjs PARAMS)
 */

/**
 * Load generator → orchestrator. `mark` opens/closes a measured window and `kill` SIGKILLs a
 * server process; both are answered with an {@link Ack}. `result` ends the run.
 * @typedef {{ type: 'mark', phase: 'start' | 'end', label: string }
 *   | { type: 'kill', which: string }
 *   | { type: 'result', rows?: Record<string, any>[], error?: string }} LoadgenMessage
 */

/**
 * Orchestrator → load generator: a `mark` or `kill` was done (`at`: when the kill was sent).
 * @typedef {{ type: 'ack', at?: number }} Ack
 */

export {};
