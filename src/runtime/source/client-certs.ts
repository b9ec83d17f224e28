/** Client certificates from kubernetes.io/tls Secrets named by checks; re-read every few minutes as they rotate. */
import type { KubeClient } from '../kube/client.js';
import { paths, type Secret } from '../kube/resources.js';

export class ClientCertificates {
  private readonly cache = new Map<string, { at: number; value: Promise<{ cert: string; key: string }> }>();

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly maxAgeMs = 300_000,
  ) {}

  /** Rejects with a message fit for the check's status when the Secret is missing or malformed. */
  get(name: string): Promise<{ cert: string; key: string }> {
    const cached = this.cache.get(name);
    if (cached && Date.now() - cached.at < this.maxAgeMs) return cached.value;
    const value = this.read(name);
    this.cache.set(name, { at: Date.now(), value });
    value.catch(() => this.cache.delete(name));
    return value;
  }

  private async read(name: string): Promise<{ cert: string; key: string }> {
    let secret: Secret;
    try {
      secret = await this.client.get<Secret>(paths.secret(this.namespace, name), { timeoutMs: 10_000 });
    } catch (error) {
      throw new Error(
        `cannot read the client certificate Secret ${this.namespace}/${name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const cert = secret.data?.['tls.crt'];
    const key = secret.data?.['tls.key'];
    if (!cert || !key)
      throw new Error(
        `Secret ${this.namespace}/${name} has no tls.crt and tls.key; create it with kubectl create secret tls`,
      );
    return { cert: Buffer.from(cert, 'base64').toString('utf8'), key: Buffer.from(key, 'base64').toString('utf8') };
  }
}
