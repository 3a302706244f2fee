// The admin console (/admin/): every read and action goes through /admin/v1 with the operator's
// own API key or admin JWT (sent as a bearer token; the demo server forwards it unchanged).
import './style.css';
import { $, fill, h, notice, time } from './dom.js';

const KEY_STORAGE = 'switchboard.admin.key';
const app = document.getElementById('app')!;
let key = sessionStorage.getItem(KEY_STORAGE) ?? '';

async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const message = `${method} ${path}: ${data.error?.code ?? res.status} ${data.error?.message ?? ''}`;
    notice(message, 'error');
    throw new Error(message);
  }
  return data as T;
}

type Cell = string | number | boolean | null | undefined | Node;
/** A table of rows; a column's value is a cell or a function of the row. */
function table<R>(rows: R[], columns: Record<string, (r: R) => Cell>, testid?: string): HTMLTableElement {
  const show = (v: Cell) => (v instanceof Node ? v : v === null || v === undefined ? '' : String(v));
  return h(
    'table',
    { 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...Object.keys(columns).map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...Object.values(columns).map((col) => h('td', {}, show(col(r))))))),
  );
}

const tabs: Record<string, () => Promise<void>> = { Rooms: roomsTab, Users: usersTab, Calls: callsTab, Attestation: attestationTab, Servers: serversTab, Audit: auditTab };

function shell(active: string) {
  fill(
    app,
    h('header', {}, h('strong', {}, 'Switchboard admin'), h('button', { class: 'small', onclick: () => (sessionStorage.removeItem(KEY_STORAGE), (key = ''), login()) }, 'Sign out')),
    h('nav', { class: 'tabs' }, ...Object.keys(tabs).map((t) => h('button', { class: t === active ? 'active' : '', 'data-tab': t, onclick: () => void show(t) }, t))),
    h('div', { class: 'admin' }, h('main', { id: 'view', class: 'panel' })),
    h('div', { id: 'notices' }),
  );
}

async function show(tab: string) {
  shell(tab);
  await tabs[tab]().catch(() => undefined);
}

function login() {
  const input = h('input', { type: 'password', placeholder: 'admin API key or admin JWT', 'data-testid': 'admin-key', size: 40 });
  fill(
    app,
    h(
      'main',
      { class: 'login' },
      h('h1', {}, 'Switchboard admin'),
      h(
        'form',
        {
          onsubmit: async (e: Event) => {
            e.preventDefault();
            key = input.value.trim();
            try {
              await api('GET', '/rooms?limit=1');
              sessionStorage.setItem(KEY_STORAGE, key);
              await show('Rooms');
            } catch {
              key = '';
            }
          },
        },
        input,
        h('button', { type: 'submit', 'data-testid': 'admin-login' }, 'Sign in'),
      ),
      h('div', { id: 'notices' }),
    ),
  );
}

// ---------- tabs ----------

async function roomsTab() {
  const page = await api('GET', '/rooms?limit=100');
  fill(
    $('#view'),
    h('h2', {}, 'Rooms'),
    table(
      page.rooms,
      {
        name: (r: any) => h('a', { href: '#', 'data-room': r.id, onclick: (e: Event) => (e.preventDefault(), void roomDetail(r.id)) }, r.name),
        id: (r: any) => r.id,
        kind: (r: any) => r.kind,
        policy: (r: any) => `${r.joinPolicy} · ${r.visibility}`,
        owner: (r: any) => r.ownerId,
        in: (r: any) => r.participantCount,
        created: (r: any) => time(r.createdAt),
      },
      'admin-rooms',
    ),
    h('div', { id: 'detail' }),
  );
}

async function roomDetail(roomId: string) {
  const { room, participants } = await api('GET', `/rooms/${encodeURIComponent(roomId)}`);
  const remove = async (action: 'kick' | 'ban', userId: string) => {
    await api('POST', `/rooms/${encodeURIComponent(roomId)}/${action}`, { userId, reason: `${action} from the admin console` });
    notice(`${userId}: ${action === 'kick' ? 'kicked' : 'banned'}`);
    await roomDetail(roomId);
  };
  fill(
    $('#detail'),
    h('h2', { 'data-testid': 'admin-room-title' }, `${room.name} `, h('button', { class: 'small', onclick: async () => (await api('DELETE', `/rooms/${encodeURIComponent(roomId)}`), notice('room closed'), await roomsTab()) }, 'Close room')),
    table(
      participants,
      {
        user: (p: any) => `${p.name || p.userId} (${p.userId})`,
        role: (p: any) => p.role,
        connection: (p: any) => p.connectionId,
        gateway: (p: any) => p.nodeId,
        joined: (p: any) => time(p.joinedAt),
        '': (p: any) => h('span', {}, h('button', { class: 'small', 'data-testid': `kick-${p.userId}`, onclick: () => void remove('kick', p.userId) }, 'Kick'), ' ', h('button', { class: 'small', onclick: () => void remove('ban', p.userId) }, 'Ban')),
      },
      'admin-participants',
    ),
  );
}

async function usersTab() {
  const input = h('input', { placeholder: 'user id', 'data-testid': 'admin-user' });
  const out = h('div');
  const look = async (e: Event) => {
    e.preventDefault();
    const id = encodeURIComponent(input.value.trim());
    const [presence, sessions] = await Promise.all([api('GET', `/users/${id}/presence`), api('GET', `/users/${id}/sessions`)]);
    fill(
      out,
      h('p', {}, h('span', { class: `dot ${presence.status}` }), ` ${presence.status}`, presence.lastSeen ? ` · last seen ${time(presence.lastSeen)}` : '', presence.devices.length ? ` · devices ${presence.devices.join(', ')}` : ''),
      table(sessions.sessions, { connection: (s: any) => s.connectionId, session: (s: any) => s.sessionId, device: (s: any) => s.device, gateway: (s: any) => s.nodeId, since: (s: any) => time(s.connectedAt) }, 'admin-sessions'),
      h('button', { class: 'small', onclick: async () => notice(`disconnected ${(await api('POST', `/users/${id}/disconnect`, { reason: 'admin console' })).disconnected} connection(s)`) }, 'Disconnect all'),
    );
  };
  fill($('#view'), h('h2', {}, 'Users: sessions and presence'), h('form', { onsubmit: look }, input, h('button', {}, 'Look up')), out);
}

async function callsTab() {
  const page = await api('GET', '/calls?limit=100');
  fill(
    $('#view'),
    h('h2', {}, 'Calls'),
    table(page.calls, {
      call: (c: any) => c.id,
      room: (c: any) => c.roomId,
      mode: (c: any) => `${c.mode} ${c.media}`,
      caller: (c: any) => c.callerId,
      parties: (c: any) => c.parties.map((p: any) => p.userId).join(', '),
      started: (c: any) => time(c.startedAt),
      outcome: (c: any) => c.outcome ?? 'ongoing',
      'talk time': (c: any) => (c.durationMs === null ? '' : `${Math.round(c.durationMs / 1000)} s`),
    }),
  );
}

async function attestationTab() {
  const [policies, tokens, references] = await Promise.all([api('GET', '/attestation/policies'), api('GET', '/attestation/build-tokens'), api('GET', '/attestation/references')]);
  fill(
    $('#view'),
    h('h2', {}, 'Version policy'),
    table(policies.policies, { platform: (p: any) => p.platform, minimum: (p: any) => p.minimum, blocked: (p: any) => (p.blocked ?? []).join(', '), recommended: (p: any) => p.recommended }),
    h('h2', {}, 'Build tokens'),
    table(tokens.buildTokens, { id: (t: any) => t.id, platform: (t: any) => t.platform, version: (t: any) => t.version, revoked: (t: any) => Boolean(t.revokedAt) }),
    h('h2', {}, 'Reference binaries'),
    table(references.references, { platform: (r: any) => r.platform, version: (r: any) => r.version, size: (r: any) => r.size, sha256: (r: any) => r.sha256.slice(0, 16) + '…', uploaded: (r: any) => time(r.uploadedAt) }),
  );
}

async function serversTab() {
  const { servers } = await api('GET', '/servers');
  fill($('#view'), h('h2', {}, 'Gateways in the bootstrap registry'), table(servers, { node: (s: any) => s.nodeId, endpoint: (s: any) => s.endpoint, region: (s: any) => s.region, 'last seen': (s: any) => time(s.lastSeen) }));
}

async function auditTab() {
  const { entries } = await api('GET', '/audit?limit=100');
  fill(
    $('#view'),
    h('h2', {}, 'Audit log'),
    table(entries, { when: (e: any) => time(e.ts), actor: (e: any) => e.actor, action: (e: any) => e.action, target: (e: any) => e.target, outcome: (e: any) => e.outcome, details: (e: any) => JSON.stringify(e.details) }, 'admin-audit'),
  );
}

if (key) void show('Rooms');
else login();
