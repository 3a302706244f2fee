/**
 * JSON a test reads that no protocol schema describes: admin HTTP bodies, a browser script's
 * printed result, a generated OpenAPI document, log lines, the fuzzer's JSON Schema walk. Tests
 * probe it field by field and assert on it with `expect`, so a loose type is the honest one.
 * Replies and events use the registry's types instead (`Reply<V>`, `EventData<E>`, ADR 0064).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one loose JSON type of the test code (ADR 0064)
export type LooseJson = any;
