import { describe, expect, it } from 'vitest';
import { crdToJsonSchema, newAjv, SOURCES } from './k8s-schemas.mjs';

// A CRD schema with the shapes prometheus-operator and the Gateway API use.
const crd = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      description: 'dropped',
      'x-kubernetes-validations': [{ rule: 'self.a > 0' }],
      properties: {
        port: { 'x-kubernetes-int-or-string': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        maybe: { type: 'string', nullable: true },
        endpoints: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' } } } },
        either: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, anyOf: [{ required: ['a'] }, { required: ['b'] }] },
      },
      required: ['endpoints'],
    },
  },
};

function validator(schema) {
  const ajv = newAjv();
  // ObjectMeta stands in for the Kubernetes definitions the real validator loads.
  ajv.addSchema({ $id: 'https://kubernetes.io/api/_definitions.json', $defs: { 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } } });
  return ajv.compile(schema);
}

describe('CRD schema → closed JSON schema (ADR 0045)', () => {
  const validate = validator(crdToJsonSchema(crd));
  const ok = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec: { endpoints: [{ path: '/m' }], port: 'http', labels: { a: 'b' }, free: { anything: 1 }, maybe: null, either: { a: 'x' } } };

  it('accepts a valid object (int-or-string, maps, preserved fields, nullable, anyOf value checks)', () => {
    expect(validate(ok), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...ok, spec: { ...ok.spec, port: 8080 } })).toBe(true);
  });

  it('rejects unknown fields at every closed level, including metadata', () => {
    expect(validate({ ...ok, spec: { ...ok.spec, endpoints: [{ path: '/m', honourLabels: true }] } })).toBe(false);
    expect(validate.errors).toEqual([expect.objectContaining({ instancePath: '/spec/endpoints/0', params: { additionalProperty: 'honourLabels' } })]);
    expect(validate({ ...ok, spec: { ...ok.spec, typo: 1 } })).toBe(false);
    expect(validate({ ...ok, metadata: { name: 'n', labelz: {} } })).toBe(false);
    expect(validate({ ...ok, spec: { ...ok.spec, either: { a: 'x', c: 'y' } } })).toBe(false);
  });

  it('rejects wrong types and failed value checks', () => {
    expect(validate({ ...ok, spec: { ...ok.spec, port: true } })).toBe(false);
    expect(validate({ ...ok, spec: { ...ok.spec, labels: { a: 1 } } })).toBe(false);
    expect(validate({ ...ok, spec: { ...ok.spec, either: {} } })).toBe(false);
    expect(validate({ ...ok, spec: { port: 1 } })).toBe(false);
  });

  it('reads Go (RE2) case-insensitive patterns', () => {
    const v = validator(crdToJsonSchema({ type: 'object', properties: { action: { type: 'string', pattern: '^(?i)(abort|warn)?$' } } }));
    expect(v({ action: 'WARN' })).toBe(true);
    expect(v({ action: 'drop' })).toBe(false);
  });

  it('throws on a keyword it does not know instead of ignoring it', () => {
    expect(() => crdToJsonSchema({ type: 'object', properties: { a: { type: 'string', 'x-kubernetes-new-thing': true } } })).toThrow(/x-kubernetes-new-thing is not handled/);
  });

  it('pins every source by version and sha256', () => {
    for (const s of Object.values(SOURCES)) {
      expect(s.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
