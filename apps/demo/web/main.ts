// The Switchboard demo: pick a name, browse and create rooms, chat, presence, push-to-talk,
// P2P and SFU calls, pairing by code. Plain DOM, one module per concern (ADR 0026).
import './style.css';
import { ClientError, connect as connectSdk, P2PCall, PttAudioDecoder, PushToTalk, SfuCall, type SignalEvent, type Switchboard } from '@switchboard/client';
import type { Room as LiveKitRoom, Track as LiveKitTrack } from 'livekit-client';
import { $, fill, h, notice, time } from './dom.js';

/** A server event as the page sees it (`frame` of the SDK's `on` handlers). */
interface Frame {
  type: string;
  room?: string;
  seq?: number;
  data?: any;
}

interface Room {
  id: string;
  name: string;
  kind: 'p2p' | 'sfu' | 'group';
  joinPolicy: 'open' | 'approval';
  visibility: 'public' | 'private';
  ownerId: string;
  participantCount: number;
}
interface Participant {
  userId: string;
  connectionId: string;
  name: string;
  role: string;
}
interface Message {
  id: string;
  userId: string;
  text: string;
  createdAt: number;
  editedAt?: number;
  deleted: boolean;
  reactions: Record<string, number>;
}

type LinkState = 'connecting' | 'open' | 'reconnecting' | 'stopped';

// Bounds on what the page keeps (a busy room must not grow the page without limit).
const MAX_MESSAGES = 500;
const HISTORY_PAGE = 100;
const MAX_REQUESTS = 50;
const TYPING_IDLE_MS = 2500;

const params = new URLSearchParams(location.search);

/**
 * `?camera=<width>x<height>[@<fps>]` (e.g. `?camera=160x120@15`): the camera size and frame rate
 * the page asks for in P2P and SFU calls, for a slow link or machine (and the browser tests, which
 * only need frames to flow: every peer encodes and decodes each camera in software). Without it
 * (or when malformed) the defaults stay: the browser's own for P2P calls, 360p for the SFU.
 */
function cameraOption(value: string | null): { width: number; height: number; frameRate?: number } | undefined {
  const m = /^(\d{2,4})x(\d{2,4})(?:@(\d{1,2}))?$/.exec(value ?? '');
  if (!m) return undefined;
  const [width, height, fps] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : undefined];
  if (width < 16 || height < 16 || width > 3840 || height > 2160 || fps === 0) return undefined;
  return fps ? { width, height, frameRate: fps } : { width, height };
}
const camera = cameraOption(params.get('camera'));
const state = {
  me: { userId: '', name: '' },
  link: undefined as Switchboard | undefined,
  /** What the header shows: open, reconnecting, stopped. */
  linkState: 'connecting' as LinkState,
  rooms: [] as Room[],
  room: undefined as Room | undefined,
  participants: new Map<string, Participant>(),
  messages: new Map<string, Message>(),
  mine: new Set<string>(), // `${messageId} ${emoji}` I reacted with
  readBy: new Map<string, string>(), // userId → last read messageId
  typing: new Map<string, ReturnType<typeof setTimeout>>(),
  presence: new Map<string, string>(),
  requests: [] as { roomId: string; requestId: string; user: { userId: string; name: string } }[],
  floor: '' as string,
  call: undefined as P2PCall | undefined,
  /** The SFU call (LiveKit) this page is in, and whether it is joining one. */
  sfu: undefined as SfuCall<LiveKitRoom> | undefined,
  sfuJoining: false,
  ringing: undefined as Frame | undefined,
  pairCode: '',
  pairRequests: [] as { requestId: string; from: string }[],
  pairedPeer: '',
};
/** For the browser tests and the curious: the live state. */
(window as any).demo = state;

const app = document.getElementById('app')!;

// ---------- login ----------

async function fetchToken(name: string): Promise<{ token: string; userId: string; name: string }> {
  const res = await fetch('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

function loginScreen(config: { servers: string[]; devTokens: boolean }) {
  const input = h('input', { id: 'name', placeholder: 'your display name', maxlength: 40, autofocus: true, value: params.get('name') ?? '' });
  const go = async (e: Event) => {
    e.preventDefault();
    try {
      const first = await fetchToken(input.value);
      state.me = { userId: first.userId, name: first.name };
      let initial: string | undefined = first.token;
      // A fresh token for every (re)connect; the first one is used right away.
      const getToken = async () => (initial ? ((t) => ((initial = undefined), t))(initial) : (await fetchToken(first.name)).token);
      await connect(config.servers, getToken);
    } catch (err) {
      notice(`login failed: ${(err as Error).message}`, 'error');
    }
  };
  fill(
    app,
    h(
      'main',
      { class: 'login' },
      h('h1', {}, 'Switchboard demo'),
      config.devTokens
        ? h('form', { onsubmit: go }, input, h('button', { type: 'submit', 'data-testid': 'login' }, 'Enter'))
        : h('p', {}, 'Dev tokens are off on this server (production). Your app backend mints tokens.'),
      h('div', { id: 'notices' }),
    ),
  );
}

// ---------- layout ----------

function shell() {
  fill(
    app,
    h(
      'header',
      {},
      h('strong', {}, 'Switchboard'),
      h('span', { 'data-testid': 'me' }, `${state.me.name} (${state.me.userId})`),
      h(
        'select',
        { 'data-testid': 'status', onchange: (e: Event) => void req('presence.set', { status: (e.target as HTMLSelectElement).value }) },
        ...['online', 'away', 'busy', 'invisible'].map((s) => h('option', { value: s }, s)),
      ),
      h('span', { id: 'link', 'data-testid': 'link' }),
    ),
    h(
      'div',
      { class: 'layout' },
      h('aside', {}, h('section', { id: 'registry' }, h('h2', {}, 'Rooms ', h('button', { class: 'small', onclick: () => void refreshRooms() }, '↻')), h('ul', { class: 'rooms', 'data-testid': 'rooms' }), createForm()), h('section', { id: 'requests' }), h('section', { id: 'pairing' })),
      h('main', { id: 'room' }, h('p', { class: 'muted' }, 'Pick or create a room.')),
    ),
    h('div', { id: 'notices' }),
  );
}

function renderLink() {
  const l = state.link!;
  if (!$('#link')) return; // not signed in yet
  $('#link').textContent = `${state.linkState} · ${l.hello?.server?.node ?? ''}`;
  $('#link').className = `link ${state.linkState}`;
}

// ---------- connection ----------

async function req<T = any>(type: string, data?: unknown): Promise<T> {
  try {
    return (await state.link!.request(type as any, data as any)) as T;
  } catch (err) {
    notice(`${type}: ${(err as Error).message}`, 'error');
    throw err;
  }
}

async function connect(servers: string[], getToken: () => Promise<string>) {
  // `?server=N` picks the first gateway; reconnects go round the list from there.
  const first = Number(params.get('server') ?? 0) % servers.length;
  const link = await connectSdk({ url: [...servers.slice(first), ...servers.slice(0, first)], getToken });
  state.link = link;
  // ICE candidates of a call that rings wait in the SDK until the user accepts it.
  P2PCall.listen(link);
  state.linkState = 'open';
  const setState = (s: LinkState) => ((state.linkState = s), renderLink());
  link.on('*', (_data, frame) => onEvent(frame as Frame));
  link.on('connected', () => setState('open'));
  // A watch belongs to one connection: the SDK re-sends it after a reconnect; its snapshot covers the gap.
  link.on('resubscribed', ({ rooms, error }) => (error ? startPolling() : showSnapshot(rooms as Room[])));
  link.on('disconnected', () => setState('reconnecting'));
  link.on('closed', ({ code }) => {
    setState('stopped');
    notice(code === 4002 ? 'signed in elsewhere: this page stopped' : code === 4003 ? 'disconnected by an administrator: this page stopped' : `disconnected by the server (${code})`, 'error');
  });
  // The SDK replays what it can (resumed) and rejoins and refetches what it cannot (resync);
  // either way the page also pages the history forward from its newest message.
  link.on('resumed', () => void catchUp());
  link.on('resync', ({ roomId, snapshot }) => {
    if (roomId !== state.room?.id) return;
    if (!snapshot) return leaveView('could not rejoin the room');
    setParticipants(snapshot.participants as Participant[]);
    void catchUp();
  });
  shell();
  renderLink();
  await refreshRooms();
  renderPairing();
  renderRequests();
  await watchRooms();

}

/** After a reconnect: fill any gap in the chat (merging by id, so nothing shows twice). */
async function catchUp() {
  if (state.room) await loadHistory(state.room.id);
}

// ---------- room registry ----------

let polling: ReturnType<typeof setInterval> | undefined;

/**
 * Live registry: `rooms.subscribe` gives a snapshot of the public rooms, then coalesced
 * `rooms.changed` batches (at most one a second). Rooms of mine that are private come from
 * `room.list`. A server without the verb gets polled every 5 s instead.
 */
async function watchRooms() {
  try {
    showSnapshot((await state.link!.request('rooms.subscribe', { limit: 100 })).rooms as Room[]);
  } catch {
    startPolling();
  }
}

function showSnapshot(rooms: Room[]) {
  for (const r of rooms) upsertRoom(r);
  renderRegistry();
  clearInterval(polling);
  polling = undefined;
}

function startPolling() {
  polling ??= setInterval(() => state.link!.connected && void refreshRooms().catch(() => undefined), 5000);
}

function upsertRoom(r: Room) {
  const i = state.rooms.findIndex((x) => x.id === r.id);
  if (i >= 0) state.rooms[i] = { ...state.rooms[i], ...r };
  else state.rooms.unshift(r);
}

async function refreshRooms() {
  const page = await req<{ rooms: Room[] }>('room.list', { limit: 100 });
  state.rooms = page.rooms;
  renderRegistry();
}

/** The create form is built once: the list re-renders every few seconds and must not wipe what is typed. */
function createForm() {
  const name = h('input', { name: 'name', placeholder: 'room name', maxlength: 100, required: true, 'data-testid': 'room-name' });
  const kind = h('select', { name: 'kind' }, ...['group', 'p2p', 'sfu'].map((k) => h('option', { value: k }, k)));
  const policy = h('select', { name: 'joinPolicy' }, h('option', { value: 'open' }, 'open'), h('option', { value: 'approval' }, 'approval'));
  const visibility = h('select', { name: 'visibility' }, h('option', { value: 'public' }, 'public'), h('option', { value: 'private' }, 'private'));
  const create = async (e: Event) => {
    e.preventDefault();
    const ok = await req('room.create', { name: name.value, kind: kind.value, joinPolicy: policy.value, visibility: visibility.value });
    name.value = '';
    await enterRoom(ok);
    await refreshRooms();
  };
  return h('form', { class: 'create', onsubmit: create }, name, kind, policy, visibility, h('button', { type: 'submit', 'data-testid': 'create-room' }, 'Create'));
}

function renderRegistry() {
  const list = $('[data-testid=rooms]');
  if (!list) return;
  fill(
    list,
    ...state.rooms.map((r) =>
      h(
        'li',
        { 'data-room': r.id, class: state.room?.id === r.id ? 'current' : '' },
        h('span', { class: 'room-name' }, r.name),
        h('span', { class: 'muted' }, ` ${r.kind} · ${r.joinPolicy} · ${r.visibility} · ${r.participantCount} in`),
        state.room?.id === r.id
          ? null
          : r.joinPolicy === 'approval' || r.visibility === 'private'
            ? h('button', { class: 'small', onclick: () => void requestJoin(r) }, 'Ask to join')
            : h('button', { class: 'small', 'data-testid': 'join', onclick: () => void join(r.id) }, 'Join'),
      ),
    ),
  );
}

async function join(roomId: string) {
  try {
    await enterRoom((await state.link!.request('room.join', { roomId })) as any);
  } catch (err) {
    // Approval and private rooms answer `forbidden` to non-members: ask to join instead.
    if (err instanceof ClientError && err.code === 'forbidden') await requestJoin(state.rooms.find((r) => r.id === roomId)!);
    else notice(`room.join: ${(err as Error).message}`, 'error');
  }
}

async function requestJoin(room: Room) {
  await req('room.request_join', { roomId: room.id });
  notice(`asked to join ${room.name}; waiting for approval`);
}

function renderRequests() {
  fill(
    $('#requests'),
    state.requests.length ? h('h2', {}, 'Join requests') : null,
    ...state.requests.map((r) =>
      h(
        'div',
        { class: 'request', 'data-testid': 'join-request' },
        `${r.user.name} → ${state.rooms.find((x) => x.id === r.roomId)?.name ?? r.roomId} `,
        h('button', { class: 'small', onclick: () => void decide(r, 'room.approve') }, 'Approve'),
        h('button', { class: 'small', onclick: () => void decide(r, 'room.reject') }, 'Reject'),
      ),
    ),
  );
}

async function decide(r: (typeof state.requests)[number], verb: 'room.approve' | 'room.reject') {
  await req(verb, { roomId: r.roomId, requestId: r.requestId });
  state.requests = state.requests.filter((x) => x.requestId !== r.requestId);
  renderRequests();
}

// ---------- pairing ----------

function renderPairing() {
  const code = h('input', { placeholder: 'code', maxlength: 16, 'data-testid': 'pair-code-input' });
  fill(
    $('#pairing'),
    h('h2', {}, 'Pair by code'),
    state.pairCode
      ? h('p', {}, 'Your code: ', h('code', { 'data-testid': 'pair-code' }, state.pairCode))
      : h('button', { class: 'small', onclick: async () => ((state.pairCode = (await req('pair.register', {})).code), renderPairing()) }, 'Get my code'),
    h('form', { onsubmit: (e: Event) => (e.preventDefault(), void req('pair.request', { code: code.value.trim() }).then(() => notice('pairing request sent'))) }, code, h('button', { class: 'small' }, 'Pair')),
    ...state.pairRequests.map((p) =>
      h(
        'div',
        { class: 'request' },
        `pairing request `,
        h('button', { class: 'small', onclick: () => void req('pair.accept', { requestId: p.requestId }).then(() => ((state.pairedPeer = p.from), (state.pairRequests = []), renderPairing())) }, 'Accept'),
        h('button', { class: 'small', onclick: () => void req('pair.reject', { requestId: p.requestId }).then(() => ((state.pairRequests = []), renderPairing())) }, 'Reject'),
      ),
    ),
    state.pairedPeer ? h('p', {}, 'Paired. ', h('button', { class: 'small', onclick: () => void startCall(state.pairedPeer) }, 'Video call')) : null,
  );
}

// ---------- room ----------

async function enterRoom(ok: { room: Room; participants: Participant[]; seq: number }) {
  state.room = ok.room;
  state.messages.clear();
  state.readBy.clear();
  state.floor = '';
  setParticipants(ok.participants);
  renderRoom();
  renderRegistry();
  await loadHistory(ok.room.id);
}

function setParticipants(list: Participant[]) {
  state.participants = new Map(list.map((p) => [p.connectionId, p]));
  void subscribePresence(list.map((p) => p.userId));
}

async function subscribePresence(userIds: string[]) {
  const ids = [...new Set(userIds)].slice(0, 500);
  if (!ids.length) return;
  const ok = await req<{ presence: Record<string, { status: string }> }>('presence.subscribe', { userIds: ids }).catch(() => undefined);
  for (const [userId, p] of Object.entries(ok?.presence ?? {})) state.presence.set(userId, p.status);
  renderParticipants();
}

/** Pages forward from the newest message we hold (or loads the latest page), merging by id. */
async function loadHistory(roomId: string) {
  const known = [...state.messages.values()];
  let after = known.length ? known[known.length - 1].id : undefined;
  for (let page = 0; page < 10; page++) {
    const ok = await req<{ messages: Message[]; hasMore: boolean }>('chat.history', { roomId, limit: HISTORY_PAGE, ...(after ? { after } : {}) });
    if (state.room?.id !== roomId) return;
    for (const m of ok.messages) putMessage(m);
    if (!after || !ok.hasMore || !ok.messages.length) break;
    after = ok.messages[ok.messages.length - 1].id;
  }
  renderMessages();
}

function putMessage(m: Message) {
  state.messages.set(m.id, m);
  if (state.messages.size > MAX_MESSAGES) state.messages.delete(state.messages.keys().next().value!);
}

/** Push-to-talk voice of the room shown: the SDK helper (mic → Opus → ptt.audio) and a decoder for what others say. */
let voice: { roomId: string; ptt: PushToTalk; decoder: PttAudioDecoder; off: () => void; mic?: Promise<MediaStream> } | undefined;

function voiceFor(roomId: string) {
  if (voice?.roomId === roomId) return voice;
  stopVoice();
  const ptt = new PushToTalk(state.link!, roomId);
  // Decoded frames are counted on the page (and closed): the browser test checks that audio arrived and decodes.
  const decoder = new PttAudioDecoder((data) => {
    data.close();
    const heard = document.getElementById('ptt-heard');
    if (heard) heard.textContent = `🔊 ${decoder.frames} audio frames decoded`;
  });
  const off = ptt.onAudio((p) => decoder.decode(p));
  // Diagnostics for the browser test: what was sent, received and decoded.
  (window as unknown as { pttStats: () => object }).pttStats = () => ({ sent: ptt.sent, lastError: ptt.lastError, talkId: ptt.talkId, received: decoder.packets, decoded: decoder.frames, decodeErrors: decoder.errors });
  return (voice = { roomId, ptt, decoder, off });
}

function stopVoice() {
  voice?.off();
  voice?.ptt.dispose();
  voice?.decoder.close();
  void voice?.mic?.then((m) => m.getTracks().forEach((t) => t.stop())).catch(() => undefined);
  voice = undefined;
}

function leaveView(why: string) {
  const name = state.room?.name;
  state.room = undefined;
  stopVoice();
  state.call?.close();
  void state.sfu?.leave();
  fill($('#room'), h('p', { class: 'banner', 'data-testid': 'removed' }, `${name ?? 'Room'}: ${why}`));
  renderRegistry();
}

function renderRoom() {
  const room = state.room!;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let typingSent = 0;
  const text = h('input', {
    placeholder: 'message',
    maxlength: 8000,
    'data-testid': 'chat-input',
    oninput: () => {
      if (Date.now() - typingSent > 3000) {
        typingSent = Date.now();
        state.link!.notify('chat.typing', { roomId: room.id, typing: true });
      }
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => ((typingSent = 0), state.link!.notify('chat.typing', { roomId: room.id, typing: false })), TYPING_IDLE_MS);
    },
  });
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    const value = text.value;
    text.value = '';
    // Through the SDK's outbox: a send during a reconnect goes out after it, stored once.
    putMessage((await state.link!.sendChat(room.id, value)) as Message);
    renderMessages();
  };
  const ptt = h('button', { class: 'ptt', 'data-testid': 'ptt' }, 'Hold to talk');
  // Released on pointer up whether or not floor.taken has arrived yet, so the floor is never left held.
  // The button captures the pointer while held: a layout shift under a still pointer does not end the talk.
  // While held, the microphone goes out as Opus over the gateway (ptt.audio); without WebCodecs, the floor alone.
  let holding = false;
  const v = voiceFor(room.id);
  ptt.addEventListener('pointerdown', (e: PointerEvent) => {
    holding = true;
    ptt.setPointerCapture(e.pointerId);
    // The floor at once; the microphone joins when it is ready (and is closed again on release).
    const mic = (v.mic = navigator.mediaDevices.getUserMedia({ audio: true }));
    v.ptt.talk(mic.then((m) => m.getAudioTracks()[0]!)).catch(() => (holding && !v.ptt.talkId ? v.ptt.press() : undefined)).catch(() => undefined);
  });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture'])
    ptt.addEventListener(ev, () => {
      if (!holding) return;
      holding = false;
      void v.ptt.release().catch(() => undefined);
      void v.mic?.then((m) => m.getTracks().forEach((t) => t.stop())).catch(() => undefined);
      v.mic = undefined;
    });
  fill(
    $('#room'),
    h(
      'div',
      { class: 'room-head' },
      h('h2', { 'data-testid': 'room-title' }, room.name),
      h('span', { class: 'muted' }, ` ${room.kind} · ${room.joinPolicy} · ${room.visibility}`),
      h('button', { class: 'small', onclick: () => void req('room.leave', { roomId: room.id }).then(() => leaveView('you left')) }, 'Leave'),
      room.kind === 'sfu' || room.kind === 'group' ? h('span', { id: 'sfu-controls', class: 'sfu-controls' }) : null,
    ),
    h('div', { class: 'room-body' }, h('ul', { id: 'participants', 'data-testid': 'participants' }), h('div', { class: 'chat' }, h('ol', { id: 'messages', 'data-testid': 'messages' }), h('div', { id: 'typing', class: 'muted' }), h('form', { onsubmit: send }, text, h('button', { 'data-testid': 'send' }, 'Send')))),
    h('div', { class: 'media' }, ptt, h('span', { id: 'floor', 'data-testid': 'floor' }), h('span', { id: 'ptt-heard', 'data-testid': 'ptt-heard', class: 'muted' }), h('div', { id: 'call' }), h('div', { id: 'videos', class: 'videos' }), h('div', { id: 'sfu-videos', class: 'videos', 'data-testid': 'sfu-videos' }), h('div', { id: 'sfu-audio', hidden: true })),
  );
  renderParticipants();
  renderMessages();
  renderCall();
  renderSfu();
}

function renderParticipants() {
  const list = $('#participants');
  if (!list) return;
  fill(
    list,
    ...[...state.participants.values()].map((p) => {
      const status = state.presence.get(p.userId) ?? 'offline';
      const self = p.connectionId === state.link!.connectionId;
      return h(
        'li',
        { 'data-user': p.userId },
        h('span', { class: `dot ${status}`, title: status, 'data-testid': `presence-${p.userId}`, 'data-status': status }),
        ` ${p.name || p.userId}${self ? ' (you)' : ''} `,
        h('span', { class: 'muted' }, p.role),
        self || state.call ? null : h('button', { class: 'small', 'data-testid': `call-${p.userId}`, onclick: () => void startCall(p.connectionId) }, 'Video call'),
      );
    }),
  );
}

function renderMessages() {
  const list = $('#messages');
  if (!list) return;
  const readers = new Map<string, string[]>();
  for (const [userId, messageId] of state.readBy) if (userId !== state.me.userId) readers.set(messageId, [...(readers.get(messageId) ?? []), userId]);
  const all = [...state.messages.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  fill(
    list,
    ...all.map((m) =>
      h(
        'li',
        { 'data-id': m.id, class: m.userId === state.me.userId ? 'own' : '' },
        h('span', { class: 'muted' }, `${time(m.createdAt)} ${m.userId}: `),
        h('span', { class: 'text', 'data-testid': 'message-text' }, m.deleted ? '(deleted)' : m.text),
        m.editedAt ? h('span', { class: 'muted' }, ' (edited)') : null,
        ...Object.entries(m.reactions).map(([emoji, n]) => h('span', { class: `reaction ${state.mine.has(`${m.id} ${emoji}`) ? 'mine' : ''}` }, `${emoji} ${n}`)),
        m.deleted ? null : h('button', { class: 'tiny', title: 'react', onclick: () => void react(m, '👍') }, '👍'),
        m.userId === state.me.userId && !m.deleted ? h('button', { class: 'tiny', onclick: () => void edit(m) }, 'edit') : null,
        readers.get(m.id) ? h('span', { class: 'muted read' }, ` read by ${readers.get(m.id)!.join(', ')}`) : null,
      ),
    ),
  );
  list.scrollTop = list.scrollHeight;
  // A receipt says "read up to here" for the newest message someone else wrote.
  const last = all.filter((m) => m.userId !== state.me.userId).pop();
  if (last && state.room && state.readBy.get(state.me.userId) !== last.id) {
    state.readBy.set(state.me.userId, last.id);
    void state.link!.request('chat.read', { roomId: state.room.id, messageId: last.id }).catch(() => undefined);
  }
}

async function react(m: Message, emoji: string) {
  await req('chat.react', { roomId: state.room!.id, messageId: m.id, emoji, on: !state.mine.has(`${m.id} ${emoji}`) });
}

async function edit(m: Message) {
  const text = prompt('Edit message', m.text);
  if (text && text !== m.text) await req('chat.edit', { roomId: state.room!.id, messageId: m.id, text });
}

function renderTyping() {
  const el = $('#typing');
  if (el) el.textContent = state.typing.size ? `${[...state.typing.keys()].join(', ')} typing…` : '';
}

// ---------- calls ----------

/** A P2P call through the SDK's P2PCall (perfect negotiation, ICE restart, follows the peer's reconnects). */
async function startCall(peer: string, ringing?: Frame) {
  if (state.call) return;
  const video = camera ? { width: { ideal: camera.width }, height: { ideal: camera.height }, ...(camera.frameRate ? { frameRate: { ideal: camera.frameRate } } : {}) } : true;
  const local = await navigator.mediaDevices.getUserMedia({ video, audio: true });
  const roomId = ringing?.data.roomId ?? (state.pairedPeer === peer ? undefined : state.room?.id);
  // The local tracks go in first: the caller's start the offer, the callee's ride its answer.
  const call = new P2PCall(state.link!, { peer, ...(roomId ? { roomId } : {}), localStream: local });
  call.on('track', (stream) => showVideo('remote', stream));
  call.on('state', () => renderCall());
  call.on('closed', () => {
    state.call = undefined;
    for (const t of local.getTracks()) t.stop();
    fill($('#videos') ?? h('div'));
    renderCall();
    renderParticipants();
  });
  state.call = call;
  showVideo('local', local);
  // Callee: answer the offer that rang (with the tracks above; no renegotiation).
  if (ringing) await call.accept(ringing.data as SignalEvent);
  renderCall();
  renderParticipants();
}

function showVideo(which: 'local' | 'remote', stream: MediaStream) {
  const box = $('#videos');
  if (!box) return;
  let v = box.querySelector<HTMLVideoElement>(`video.${which}`);
  if (!v) box.append((v = h('video', { class: which, autoplay: true, playsinline: true, muted: which === 'local', 'data-testid': `video-${which}` })));
  v.srcObject = stream;
}

function renderCall() {
  const el = $('#call');
  if (!el) return;
  if (state.ringing && !state.call) {
    const f = state.ringing;
    return fill(
      el,
      h('span', { class: 'banner' }, `${f.data.fromUser} is calling `),
      h('button', { class: 'small', 'data-testid': 'accept-call', onclick: () => ((state.ringing = undefined), void startCall(f.data.from, f)) }, 'Accept'),
      h('button', { class: 'small', onclick: () => ((state.ringing = undefined), void req('signal', { to: f.data.from, roomId: f.data.roomId, kind: 'bye', payload: {} }).catch(() => undefined), renderCall()) }, 'Decline'),
    );
  }
  fill(el, state.call ? h('span', {}, h('span', { 'data-testid': 'call-state' }, state.call.pc.connectionState), ' ', h('button', { class: 'small', onclick: () => state.call?.close() }, 'Hang up')) : null);
}

/**
 * An SFU call for more than two through the SDK's SfuCall (`media.token`, then livekit-client):
 * one tile per remote participant, named by the user id in its LiveKit identity.
 */
async function joinSfu(roomId: string) {
  if (state.sfu || state.sfuJoining) return;
  state.sfuJoining = true;
  renderSfu();
  try {
    // Loaded on demand: the SFU client is most of the bundle and only SFU calls need it.
    const { Room, RoomEvent, VideoPresets } = await import('livekit-client');
    // 360p: a demo call shows several small tiles; LiveKit's default capture is 720p. `?camera=` overrides it.
    const room = new Room({ videoCaptureDefaults: { resolution: camera ?? VideoPresets.h360.resolution } });
    room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => showSfuTrack(participant.identity, track));
    room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((e) => e.remove()));
    room.on(RoomEvent.LocalTrackPublished, (pub) => pub.track?.kind === 'video' && showSfuTrack('', pub.track));
    room.on(RoomEvent.ParticipantConnected, () => renderSfu());
    room.on(RoomEvent.ParticipantDisconnected, (p) => ($(`#sfu-videos [data-sfu-identity="${CSS.escape(p.identity)}"]`)?.remove(), renderSfu()));
    const call = await SfuCall.join(state.link!, roomId, room, { publish: { camera: true, microphone: true } });
    call.on('ended', ({ reason }) => {
      if (state.sfu === call) state.sfu = undefined;
      for (const box of ['#sfu-videos', '#sfu-audio']) if ($(box)) fill($(box));
      renderSfu();
      if (reason !== 'left') notice(`the SFU call ended (${reason})`);
    });
    if (state.room?.id !== roomId) return void call.leave(); // left the room meanwhile
    state.sfu = call;
    notice('joined the SFU call');
  } catch (err) {
    notice(`SFU call: ${(err as Error).message}`, 'error');
  } finally {
    state.sfuJoining = false;
    renderSfu();
  }
}

/** A track in the participant's tile (identity '' is this page's own camera); audio plays from a hidden box. */
function showSfuTrack(identity: string, track: LiveKitTrack) {
  const el = track.attach();
  if (track.kind !== 'video') return void $('#sfu-audio')?.append(el);
  const box = $('#sfu-videos');
  if (!box) return;
  const user = identity ? (SfuCall.identityOf(identity)?.userId ?? identity) : state.me.userId;
  let tile = box.querySelector(`[data-sfu-identity="${CSS.escape(identity)}"]`);
  if (!tile) box.append((tile = h('figure', { class: 'tile', 'data-sfu-identity': identity, 'data-sfu-user': user }, h('figcaption', {}, identity ? user : `${user} (you)`))));
  if (!identity) (el as HTMLVideoElement).muted = true;
  tile.prepend(el);
}

function renderSfu() {
  const el = $('#sfu-controls');
  if (!el) return;
  const call = state.sfu;
  if (!call) return fill(el, h('button', { class: 'small', 'data-testid': 'sfu-join', disabled: state.sfuJoining, onclick: () => void joinSfu(state.room!.id) }, state.sfuJoining ? 'Joining…' : 'Join SFU call'));
  const others = [...call.room.remoteParticipants.values()].map((p) => SfuCall.identityOf(p.identity)?.userId ?? p.identity);
  fill(
    el,
    h('span', { class: 'muted', 'data-testid': 'sfu-participants', 'data-users': others.join(',') }, `SFU call: you${others.map((u) => `, ${u}`).join('')}`),
    ' ',
    h('button', { class: 'small', 'data-testid': 'sfu-leave', onclick: () => void call.leave() }, 'Leave call'),
  );
}

// ---------- events ----------

function onEvent(f: Frame) {
  const room = state.room;
  const inRoom = room && f.room === room.id;
  switch (f.type) {
    case 'chat.message':
    case 'chat.edited':
      if (!inRoom) return;
      putMessage(f.data.message);
      return renderMessages();
    case 'chat.deleted':
      if (!inRoom || !state.messages.has(f.data.messageId)) return;
      Object.assign(state.messages.get(f.data.messageId)!, { deleted: true, text: '' });
      return renderMessages();
    case 'chat.reaction': {
      const m = inRoom && state.messages.get(f.data.messageId);
      if (!m) return;
      m.reactions[f.data.emoji] = Math.max(0, (m.reactions[f.data.emoji] ?? 0) + (f.data.on ? 1 : -1));
      if (!m.reactions[f.data.emoji]) delete m.reactions[f.data.emoji];
      if (f.data.userId === state.me.userId) state.mine[f.data.on ? 'add' : 'delete'](`${m.id} ${f.data.emoji}`);
      return renderMessages();
    }
    case 'chat.read':
      if (!inRoom) return;
      state.readBy.set(f.data.userId, f.data.messageId);
      return renderMessages();
    case 'chat.typing': {
      if (!inRoom || f.data.userId === state.me.userId) return;
      clearTimeout(state.typing.get(f.data.userId));
      if (f.data.typing) state.typing.set(f.data.userId, setTimeout(() => (state.typing.delete(f.data.userId), renderTyping()), 6000));
      else state.typing.delete(f.data.userId);
      return renderTyping();
    }
    case 'room.participant_joined':
      if (!inRoom) return;
      state.participants.set(f.data.participant.connectionId, f.data.participant);
      void subscribePresence([f.data.participant.userId]);
      return renderParticipants();
    case 'room.participant_updated':
      if (!inRoom) return;
      state.participants.delete(f.data.previousConnectionId);
      state.participants.set(f.data.participant.connectionId, f.data.participant);
      // A call with this peer follows it by itself (P2PCall listens for the same event).
      return renderParticipants();
    case 'room.participant_left':
      if (!inRoom) return;
      state.participants.delete(f.data.connectionId);
      return renderParticipants();
    case 'presence.changed':
      state.presence.set(f.data.userId, f.data.status);
      return renderParticipants();
    case 'room.removed':
      if (room && f.data.roomId === room.id) leaveView(`you were removed (${f.data.reason})${f.data.message ? `: ${f.data.message}` : ''}`);
      return void refreshRooms();
    case 'room.closed':
      if (inRoom) leaveView('the room was closed');
      return void refreshRooms();
    case 'rooms.changed':
      for (const r of f.data.updated as Room[]) upsertRoom(r);
      state.rooms = state.rooms.filter((r) => !(f.data.closed as string[]).includes(r.id));
      return renderRegistry();
    case 'room.join_requested':
      state.requests = [...state.requests.filter((r) => r.requestId !== f.data.requestId), { roomId: f.room!, requestId: f.data.requestId, user: f.data.user }].slice(-MAX_REQUESTS);
      return renderRequests();
    case 'room.join_approved':
      notice('your join request was approved');
      return void join(f.data.roomId);
    case 'room.join_rejected':
      return notice('your join request was rejected', 'error');
    case 'floor.taken':
    case 'floor.released':
      if (!inRoom) return;
      state.floor = f.type === 'floor.taken' ? f.data.userId : '';
      $('#floor').textContent = state.floor ? `🎙 ${state.floor} has the floor` : '';
      return;
    case 'signal':
      // A first offer rings; the call object handles every signal after it is accepted.
      if (f.data.kind === 'offer' && !state.call && !state.ringing) state.ringing = f;
      else if (f.data.kind === 'bye' && state.ringing?.data.from === f.data.from) state.ringing = undefined;
      return renderCall();
    case 'pair.requested':
      state.pairRequests = [...state.pairRequests, { requestId: f.data.requestId, from: f.data.from }].slice(-MAX_REQUESTS);
      return renderPairing();
    case 'pair.accepted':
      state.pairedPeer = f.data.peer;
      return renderPairing();
    case 'pair.rejected':
      return notice('pairing rejected', 'error');
  }
}

// ---------- start ----------

const config = await fetch('/config.json').then((r) => r.json());
loginScreen(config);
