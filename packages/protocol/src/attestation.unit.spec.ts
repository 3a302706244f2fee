import { describe, expect, it } from 'vitest';
import { checkVersion, compareVersions } from './attestation.js';

describe('version policy', () => {
  it('orders dotted versions numerically, pre-releases before releases', () => {
    expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
    expect(compareVersions('1.2', '1.2.0')).toBe(0);
    expect(compareVersions('2.0.0-beta.1', '2.0.0')).toBe(-1);
    expect(compareVersions('2.0.0', '2.0.0-rc.1')).toBe(1);
    expect(compareVersions('1.0.0+build7', '1.0.0')).toBe(0);
  });

  it('refuses blocked versions and versions under the minimum', () => {
    const policy = { minimum: '1.4.0', blocked: ['1.5.2'] };
    expect(checkVersion(policy, '1.5.2')).toBe('blocked');
    expect(checkVersion(policy, '1.3.9')).toBe('too_old');
    expect(checkVersion(policy, '1.4.0')).toBe('ok');
    expect(checkVersion(policy, '1.5.3')).toBe('ok');
    expect(checkVersion(undefined, '0.0.1')).toBe('ok');
    expect(checkVersion({ minimum: null, blocked: [] }, '0.0.1')).toBe('ok');
  });
});
