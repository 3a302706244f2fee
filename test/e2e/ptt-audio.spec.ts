import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { demuxOgg } from '@switchboard/media/ptt/ogg-opus';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardClient } from '@switchboard/client/node';
import { mediaTestEnv, Stack, testEnv, token, uid, until } from '../support/stack.js';
import type { EventData, ServerEvent } from '@switchboard/protocol';
import type { LooseJson } from '@switchboard/testing/json';

/** A MessagePack connection (`switchboard.v1.msgpack`): frames decoded as they come, so `bin` arrives as Buffers. */
async function msgpackClient(gw: { httpPort: number }, userId: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/ws`, ['switchboard.v1.msgpack'], { headers: { Authorization: `Bearer ${await token(userId)}` } });
  const frames: LooseJson[] = [];
  ws.on('message', (raw: Buffer) => frames.push(unpack(raw)));
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  await until(() => frames.find((f) => f.type === 'hello'), 'hello');
  let next = 1;
  const request = async (type: string, data: unknown) => {
    const id = `m${next++}`;
    ws.send(pack({ id, type, data }));
    const reply = await until(() => frames.find((f) => f.re === id), `reply to ${type}`, 15_000);
    if (reply.type === 'error') throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.data;
  };
  return { ws, frames, request, close: () => ws.close() };
}

/** Opus test audio from Debian's opusenc (scripts/lib/infra.mjs installs opus-tools): a 440 Hz tone, 48 kHz mono, 20 ms packets. */
function opusTestAudio(dir: string, seconds: number): { packets: Buffer[]; file: string } {
  const samples = 48_000 * seconds;
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)), i * 2);
  const raw = join(dir, 'tone.raw');
  const file = join(dir, 'tone.opus');
  writeFileSync(raw, pcm);
  execFileSync('opusenc', ['--quiet', '--raw', '--raw-rate', '48000', '--raw-chan', '1', '--bitrate', '24', '--framesize', '20', raw, file]);
  // The first two packets are the OpusHead and OpusTags headers, not audio.
  const packets = demuxOgg(readFileSync(file)).packets.slice(2).map((p) => Buffer.from(p));
  return { packets, file };
}

/** A valid-looking Opus packet of `size` bytes: TOC 0x78 (hybrid fullband, 20 ms, one frame) and filler. */
const fakePacket = (size: number, fill: number) => Buffer.concat([Buffer.from([0x78]), Buffer.alloc(size - 1, fill)]);

/** Sum of a metric's samples on one replica, of those with `label` (e.g. `reason="released"`) when given. */
async function metric(gw: { httpPort: number }, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(label))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/**
 * Push-to-talk audio end to end (ADR 0053, 0054): real NATS, Redis, Postgres, S3-compatible store,
 * rooms, presence, media and two gateway replicas; JSON and MessagePack clients.
 */
describe('push-to-talk audio over the gateway, recorded as Ogg/Opus voice messages', () => {
  const stack = new Stack();
  let gw1: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-ptt-'));
    // A short floor lease, swept often, so the timeout case ends within the test.
    const rooms = await stack.add(startRooms(testEnv({ FLOOR_TTL_MS: '4000', SWEEP_INTERVAL_MS: '50', DISCONNECT_GRACE_MS: '3000', REQUEST_TIMEOUT_MS: '15000' })));
    await stack.add(startPresence(testEnv()));
    await stack.add(startMedia(mediaTestEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, REQUEST_TIMEOUT_MS: '15000' })));
    const gwEnv = { ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, REQUEST_TIMEOUT_MS: '15000' };
    gw1 = await stack.add(startGateway(testEnv(gwEnv)));
    // The second replica has tight caps: 5 frames/s (burst 5) and 2 KiB per talk.
    gw2 = await stack.add(startGateway(testEnv({ ...gwEnv, PTT_RATE_PER_SEC: '5', PTT_BURST: '5', PTT_MAX_TALK_BYTES: '2048' })));
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function groupRoom(owner: SwitchboardClient) {
    const { room } = await owner.request('room.create', { name: uid('ptt'), kind: 'group', joinPolicy: 'open' });
    return room.id as string;
  }

  it('the holder\'s Opus packets reach members on the other replica in order (bin and base64), others are refused, and the talk becomes a voice message that decodes', async () => {
    const alice = await stack.client(gw1, uid('alice'));
    const carol = await stack.client(gw2, uid('carol'));
    const bob = await msgpackClient(gw2, uid('bob'));
    try {
      const roomId = await groupRoom(alice);
      await carol.request('room.join', { roomId });
      await bob.request('room.join', { roomId });
      const { packets } = opusTestAudio(dir, 2);
      expect(packets.length).toBeGreaterThan(90);
      const relayedBefore = await metric(gw1, 'switchboard_ptt_audio_bytes_relayed_total');

      // Nobody holds the floor: refused, typed, whether or not the frame asked for a reply.
      await expect(carol.request('ptt.audio', { roomId, talkId: 'tnone', seq: 0, data: packets[0]!.toString('base64') })).rejects.toMatchObject({ code: 'forbidden' });

      const { talkId, expiresAt } = await alice.request('floor.request', { roomId });
      expect(talkId).toMatch(/^t/);
      expect(expiresAt).toBeGreaterThan(Date.now() - 1000);
      // The first frame right after the grant is admitted: the holder's replica learned the grant from the reply it forwarded.
      expect(await alice.request('ptt.audio', { roomId, talkId, seq: 0, data: packets[0]!.toString('base64') })).toEqual({});
      // Not the holder (a member on the other replica, with the holder's talk id): forbidden, never relayed.
      carol.send({ type: 'ptt.audio', data: { roomId, talkId, seq: 1, data: fakePacket(50, 7).toString('base64') } });
      await carol.waitFor('error', (e: LooseJson) => e.error.code === 'forbidden');
      await expect(bob.request('ptt.audio', { roomId, talkId, seq: 1, data: fakePacket(50, 7) })).rejects.toMatchObject({ code: 'forbidden' });
      for (let i = 1; i < packets.length; i++) {
        alice.send({ type: 'ptt.audio', data: { roomId, talkId, seq: i, data: packets[i]!.toString('base64') } });
        // Refreshing the lease mid-talk keeps the talk.
        if (i === 50) expect((await alice.request('floor.request', { roomId })).talkId).toBe(talkId);
      }
      // A repeated seq is refused (the order is the sender's, and it only moves forward).
      await expect(alice.request('ptt.audio', { roomId, talkId, seq: 3, data: packets[3]!.toString('base64') })).rejects.toMatchObject({ code: 'bad_request' });

      // MessagePack member on gw2: every packet, in order, as bin.
      const audioOf = (frames: LooseJson[]) => frames.filter((f) => f.type === 'ptt.audio');
      await until(() => audioOf(bob.frames).length >= packets.length, 'bob hears every packet', 20_000);
      const heard = audioOf(bob.frames);
      expect(heard.map((f) => f.data.seq)).toEqual(packets.map((_, i) => i));
      expect(heard.every((f, i) => Buffer.isBuffer(f.data.data) && f.data.data.equals(packets[i]) && f.data.talkId === talkId && f.data.userId === alice.hello.userId && f.room === roomId && f.seq === undefined)).toBe(true);
      // JSON member on gw2: the same packets, base64.
      await until(() => carol.events.filter((e) => e.type === 'ptt.audio').length >= packets.length, 'carol hears every packet', 20_000);
      const carolHeard = carol.events.filter((e) => e.type === 'ptt.audio') as ServerEvent<EventData<'ptt.audio'>>[];
      expect(carolHeard.map((e) => e.data.seq)).toEqual(packets.map((_, i) => i));
      expect(carolHeard.every((e, i) => Buffer.from(e.data.data as string, 'base64').equals(packets[i]!))).toBe(true);
      // The sender does not hear itself.
      expect(alice.events.some((e) => e.type === 'ptt.audio')).toBe(false);

      await alice.request('floor.release', { roomId });
      const ended = await until(() => bob.frames.find((f) => f.type === 'ptt.ended'), 'ptt.ended');
      expect(ended.data).toMatchObject({ talkId, userId: alice.hello.userId, reason: 'released', frames: packets.length, bytes: packets.reduce((n, p) => n + p.length, 0) });
      // After the release the talk is over: refused.
      await expect(alice.request('ptt.audio', { roomId, talkId, seq: 10_000, data: packets[0]!.toString('base64') })).rejects.toMatchObject({ code: 'forbidden' });
      expect(bob.frames.filter((f) => f.type === 'ptt.audio')).toHaveLength(packets.length);
      expect((await metric(gw1, 'switchboard_ptt_audio_bytes_relayed_total')) - relayedBefore).toBe(packets.reduce((n, p) => n + p.length, 0));
      expect(await metric(gw1, 'switchboard_ptt_talk_spurts_total', 'reason="released"')).toBeGreaterThanOrEqual(1);

      // The recording: a voice message of Alice, live and in history, that decodes as Ogg/Opus of the talk's length.
      const voice = (await carol.waitFor('chat.message', (e) => e.data.message.kind === 'voice', 20_000)).data.message;
      // A voice message always carries its recording (MessageView.voice is optional for the other kinds).
      const recording = voice.voice!;
      expect(voice).toMatchObject({ userId: alice.hello.userId, kind: 'voice', voice: { talkId, contentType: 'audio/ogg' } });
      expect(Math.abs(recording.durationMs - 2000)).toBeLessThanOrEqual(40); // within one 20 ms packet (and rounding)
      const late = await stack.client(gw1, uid('dave'));
      await late.request('room.join', { roomId });
      const { messages } = await late.request('chat.history', { roomId });
      expect(messages.find((m: LooseJson) => m.id === voice.id)).toMatchObject({ kind: 'voice', voice: voice.voice });
      const { download } = await late.request('chat.download', { roomId, attachmentId: recording.attachmentId });
      const ogg = Buffer.from(await (await fetch(download.url)).arrayBuffer());
      expect(ogg.length).toBe(recording.size);
      const demuxed = demuxOgg(ogg);
      expect(demuxed.pages.every((p) => p.crcOk)).toBe(true);
      expect(demuxed.packets.slice(2).map((p) => Buffer.from(p).toString('hex'))).toEqual(packets.map((p) => p.toString('hex')));
      const file = join(dir, 'voice.opus');
      writeFileSync(file, ogg);
      const probe = spawnSync('opusinfo', [file], { encoding: 'utf8' });
      expect(probe.status, probe.stdout + probe.stderr).toBe(0);
      const info = probe.stdout;
      expect(info).toMatch(/Playback length: 0m:0?2\.0\d\ds/);
      execFileSync('opusdec', ['--quiet', '--rate', '48000', file, join(dir, 'voice.wav')]);
      const wav = readFileSync(join(dir, 'voice.wav'));
      const pcmBytes = wav.length - 44; // canonical WAV header
      expect(Math.abs(pcmBytes / 2 / 48_000 - 2)).toBeLessThanOrEqual(0.04);
      // Not a member: no download.
      const outsider = await stack.client(gw1, uid('eve'));
      await expect(outsider.request('chat.download', { roomId, attachmentId: recording.attachmentId })).rejects.toMatchObject({ code: 'forbidden' });
    } finally {
      bob.close();
    }
  });

  it('a talk ends on the lease timeout and on the holder\'s disconnect; later frames are refused and nothing more is relayed', async () => {
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, uid('bob'));
    const roomId = await groupRoom(alice);
    await bob.request('room.join', { roomId });

    // Timeout: one frame, then silence and no refresh.
    const first = await alice.request('floor.request', { roomId });
    await alice.request('ptt.audio', { roomId, talkId: first.talkId, seq: 0, data: fakePacket(60, 1).toString('base64') });
    expect((await bob.waitFor('floor.released', (e) => e.data.userId === alice.hello.userId, 20_000)).data).toMatchObject({ reason: 'timeout', talkId: first.talkId });
    expect((await bob.waitFor('ptt.ended', (e) => e.data.talkId === first.talkId)).data).toMatchObject({ reason: 'timeout', frames: 1 });
    await expect(alice.request('ptt.audio', { roomId, talkId: first.talkId, seq: 1, data: fakePacket(60, 1).toString('base64') })).rejects.toMatchObject({ code: 'forbidden' });

    // Disconnect: the talk ends when the socket closes (the floor itself waits out the resume grace).
    const second = await alice.request('floor.request', { roomId });
    expect(second.talkId).not.toBe(first.talkId);
    await alice.request('ptt.audio', { roomId, talkId: second.talkId, seq: 0, data: fakePacket(60, 2).toString('base64') });
    await alice.close();
    expect((await bob.waitFor('ptt.ended', (e) => e.data.talkId === second.talkId)).data).toMatchObject({ reason: 'disconnected', frames: 1 });
    expect((await bob.waitFor('floor.released', (e) => e.data.talkId === second.talkId, 20_000)).data).toMatchObject({ reason: 'disconnected' });
    expect(bob.events.filter((e) => e.type === 'ptt.audio').map((e) => e.data.talkId)).toEqual([first.talkId, second.talkId]);
    // Both talks were recorded.
    await until(async () => (await bob.request('chat.history', { roomId })).messages.filter((m: LooseJson) => m.kind === 'voice').length === 2, 'two voice messages', 20_000);
  });

  it('a holder that resumes on the other replica: frames of the old talk are refused there until floor.request hands it the new talk', async () => {
    const aliceId = uid('alice');
    const alice = await stack.client(gw1, aliceId);
    const bob = await stack.client(gw2, uid('bob'));
    const { room, seq } = await alice.request('room.create', { name: uid('ptt'), kind: 'group', joinPolicy: 'open' });
    const roomId = room.id as string;
    await bob.request('room.join', { roomId });
    const first = await alice.request('floor.request', { roomId });
    await alice.request('ptt.audio', { roomId, talkId: first.talkId, seq: 0, data: fakePacket(40, 4).toString('base64') });
    await alice.terminate(); // the network drops; the floor stays for the resume grace
    expect((await bob.waitFor('ptt.ended', (e) => e.data.talkId === first.talkId)).data).toMatchObject({ reason: 'disconnected' });

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw2.httpPort}/ws`, await token(aliceId));
    stack.onStop(() => again.close());
    await again.request('session.resume', { sessionId: alice.hello.sessionId, rooms: { [roomId]: seq } });
    // gw2 has not seen a grant for this connection: the old talk is refused, nothing relayed.
    await expect(again.request('ptt.audio', { roomId, talkId: first.talkId, seq: 1, data: fakePacket(40, 5).toString('base64') })).rejects.toMatchObject({ code: 'forbidden' });
    // The lease moved with the seat under a new talk; asking for the floor again (a refresh) teaches gw2.
    const moved = await again.request('floor.request', { roomId });
    expect(moved.talkId).not.toBe(first.talkId);
    await again.request('ptt.audio', { roomId, talkId: moved.talkId, seq: 0, data: fakePacket(40, 6).toString('base64') });
    const heard = await bob.waitFor('ptt.audio', (e) => e.data.talkId === moved.talkId);
    expect(Buffer.from(heard.data.data as string, 'base64').equals(fakePacket(40, 6))).toBe(true);
    expect(bob.events.filter((e) => e.type === 'ptt.audio').map((e) => e.data.talkId)).toEqual([first.talkId, moved.talkId]);
    expect(bob.events.some((e) => e.type === 'floor.released' && (e.data as EventData<'floor.released'>).talkId === first.talkId)).toBe(false);
    await again.request('floor.release', { roomId });
  });

  it('limits: packet size, per-connection rate, and the talk cap (which ends the talk and gives the floor back)', async () => {
    const alice = await stack.client(gw2, uid('alice'));
    const bob = await stack.client(gw1, uid('bob'));
    const roomId = await groupRoom(alice);
    await bob.request('room.join', { roomId });
    const { talkId } = await alice.request('floor.request', { roomId });

    // Too large a packet: refused before anything is relayed.
    await expect(alice.request('ptt.audio', { roomId, talkId, seq: 0, data: fakePacket(4001, 3).toString('base64') })).rejects.toMatchObject({ code: 'too_large' });

    // Rate: gw2 allows a burst of 5 audio frames; 12 at once are partly refused with rate_limited.
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        alice.request('ptt.audio', { roomId, talkId, seq: i, data: fakePacket(100, i).toString('base64') }).then(
          () => 'ok',
          (err: { code: string }) => err.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'rate_limited').length).toBeGreaterThan(0);
    const admitted = outcomes.filter((o) => o === 'ok').length;
    expect(admitted).toBeGreaterThan(0);
    expect(admitted).toBeLessThan(12);
    expect(outcomes.every((o) => o === 'ok' || o === 'rate_limited')).toBe(true);
    await until(() => bob.events.filter((e) => e.type === 'ptt.audio').length === admitted, 'only admitted frames relayed');

    // Talk cap (2 KiB on gw2): 900-byte packets until the cap ends the talk and releases the floor.
    let seq = 100;
    let refused: { code: string } | undefined;
    while (!refused) {
      await until(async () => (await alice.request('ptt.audio', { roomId, talkId, seq, data: fakePacket(900, 9).toString('base64') }).then(() => true, (err) => (err.code === 'too_large' ? ((refused = err), true) : false))), 'a frame within the rate');
      seq++;
      expect(seq).toBeLessThan(110);
    }
    expect((await bob.waitFor('ptt.ended', (e) => e.data.talkId === talkId)).data).toMatchObject({ reason: 'limit' });
    expect((await bob.waitFor('floor.released', (e) => e.data.talkId === talkId)).data).toMatchObject({ reason: 'released', userId: alice.hello.userId });
    // The floor is free again: Bob can take it.
    expect((await bob.request('floor.request', { roomId })).talkId).not.toBe(talkId);
  });
});
