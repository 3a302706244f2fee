import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import type { AttestationConfig } from '../config.js';

export interface SigningKey {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export class KeyConfigError extends Error {}

/** An Ed25519 private key from a PEM value or a mounted file; undefined when neither is set. */
export function loadEd25519(name: string, pem: string | undefined, file: string | undefined): KeyObject | undefined {
  if (pem && file) throw new KeyConfigError(`set ${name} or ${name}_FILE, not both`);
  const text = pem ?? (file ? readFileSync(file, 'utf8') : undefined);
  if (!text) return undefined;
  let key: KeyObject;
  try {
    key = createPrivateKey(text.includes('-----BEGIN') ? text : text.replace(/\\n/g, '\n'));
  } catch {
    throw new KeyConfigError(`${name} is not a PKCS#8 PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyConfigError(`${name} must be an Ed25519 key (openssl genpkey -algorithm ed25519)`);
  return key;
}

/**
 * The two Ed25519 keys of the service: attestation tokens and the server list. Read from
 * config or mounted secrets; outside production a missing key is generated per process
 * (with a warning: replicas would disagree), in production it is a startup error.
 */
@Injectable()
export class SigningKeys {
  readonly token: SigningKey;
  readonly previousToken?: { id: string; publicKey: KeyObject };
  readonly serverList: SigningKey;

  constructor(@Inject(CONFIG) config: AttestationConfig, @Inject(LOGGER) logger: Logger) {
    const get = (name: 'ATTESTATION_SIGNING_KEY' | 'SERVER_LIST_SIGNING_KEY', id: string): SigningKey => {
      let privateKey = loadEd25519(name, config[name], config[`${name}_FILE`]);
      if (!privateKey) {
        if (config.NODE_ENV === 'production') throw new KeyConfigError(`${name} (or ${name}_FILE) is required in production`);
        logger.warn({ key: name }, `${name} not set: using a key generated for this process only`);
        privateKey = generateKeyPairSync('ed25519').privateKey;
      }
      return { id, privateKey, publicKey: createPublicKey(privateKey) };
    };
    this.token = get('ATTESTATION_SIGNING_KEY', config.ATTESTATION_KEY_ID);
    this.serverList = get('SERVER_LIST_SIGNING_KEY', config.SERVER_LIST_KEY_ID);
    if (config.ATTESTATION_PREVIOUS_PUBLIC_KEY) {
      const publicKey = createPublicKey(config.ATTESTATION_PREVIOUS_PUBLIC_KEY.replace(/\\n/g, '\n'));
      if (publicKey.asymmetricKeyType !== 'ed25519') throw new KeyConfigError('ATTESTATION_PREVIOUS_PUBLIC_KEY must be an Ed25519 key');
      this.previousToken = { id: config.ATTESTATION_PREVIOUS_KEY_ID ?? 'previous', publicKey };
    }
  }
}
