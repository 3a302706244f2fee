import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import type { Request, Response } from 'express';
import type { MediaConfig } from '../config.js';
import { WebhookRejected, WebhooksService } from './webhooks.service.js';

/**
 * `POST /livekit/webhook` on the media service's HTTP port. LiveKit sends
 * `application/webhook+json`, which no body parser touches, so the raw body (what the
 * signature covers) is read here, bounded by LIVEKIT_WEBHOOK_MAX_BYTES.
 */
@Controller('livekit')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    @Inject(CONFIG) private readonly config: MediaConfig,
  ) {}

  @Post('webhook')
  async receive(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = await readBody(req, this.config.LIVEKIT_WEBHOOK_MAX_BYTES);
    if (body === null) return void res.status(413).json({ error: 'webhook body too large' });
    try {
      const outcome = await this.webhooks.receive(body, req.headers.authorization);
      res.status(200).json({ outcome });
    } catch (err) {
      if (err instanceof WebhookRejected) return void res.status(err.reason === 'unauthorized' ? 401 : 404).json({ error: err.message });
      res.status(503).json({ error: 'webhook handling failed; retry' });
    }
  }
}

/** The raw body as text, or null when it exceeds `max` bytes (the rest is drained, not buffered). */
function readBody(req: Request, max: number): Promise<string | null> {
  // A body parser got there first (a plain JSON content type): what it parsed is all there is.
  if (!req.readable) return Promise.resolve(typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? {}));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
