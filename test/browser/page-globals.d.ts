// What the browser test pages put on `window` for their drivers (test/browser/*.mjs) to call
// through page.evaluate. Type-checked with the tooling (tsconfig.tools.json), so a driver that
// calls a page function by the wrong name or shape fails the check.

/** A frame the in-page client received that was not a reply (SB_CLIENT_JS in harness.mjs). */
interface PageFrame {
  type: string;
  data: import('@switchboard/testing/json').LooseJson;
  seq?: number;
  room?: string;
}

interface Window {
  // SB_CLIENT_JS (harness.mjs): a minimal protocol client.
  sb(url: string, jwt: string): Promise<import('@switchboard/protocol').HelloData>;
  hello: import('@switchboard/protocol').HelloData;
  request(type: string, data?: unknown): Promise<import('@switchboard/testing/json').LooseJson>;
  events: PageFrame[];
  setOnEvent(fn: (frame: PageFrame) => void): void;
  // webrtc-room-call.mjs: one P2P call over `signal`.
  call(role: 'caller' | 'callee', peerConnectionId: string, roomId: string, relay: boolean): Promise<void>;
  pc: RTCPeerConnection;
  inboundBytes(): Promise<number>;
  // livekit-sfu.mjs: livekit-client driven by hand.
  lk: { state: string; disconnectReason: unknown; remoteVideo: import('@switchboard/testing/json').LooseJson };
  lkRoom: import('@switchboard/testing/json').LooseJson;
  joinSfu(roomId: string, publish: boolean): Promise<{ url: string; identity: string }>;
  videoBytesReceived(): Promise<number>;
  cameraStopped(): boolean;
  // The demo app (apps/demo/web/main.ts sets `window.demo` to its state) and what drivers add.
  demo: import('@switchboard/testing/json').LooseJson;
  pttStats?(): { sent: number; lastError: unknown; talkId: string | undefined; received: number; decoded: number; decodeErrors: number };
  mediaEvents: { type: string; identity: string }[];
  // demo-app.mjs: what the pages' peer connections and video elements did (for a failing call step).
  rtcTrail: string[];
}
