// Moved to @switchboard/testing (packages/testing); kept so specs written against the old path still resolve.
export * from '@switchboard/testing/infra';
