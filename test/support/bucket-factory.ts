import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Builders for inRiver lines and a temp bucket in the real layout (factories over fixtures). */

export interface ProductSpec {
  id: number;
  productId?: string;
  attrs?: Record<string, unknown>;
  items?: { id: number; attrs?: Record<string, unknown>; resources?: number[] }[];
  resources?: number[];
  nodes?: number[];
}

export function productLine(p: ProductSpec): Record<string, unknown> {
  return {
    EntityId: p.id,
    EntityTypeId: 'Product',
    FieldSetId: null,
    Attributes: { ProductId: p.productId ?? `P${p.id}`, ...p.attrs },
    Items: (p.items ?? []).map((i) => ({
      EntityId: i.id, EntityTypeId: 'Item', FieldSetId: null,
      Attributes: { ItemWatscoItemNo: `W-${i.id}`, ...i.attrs },
      Resources: (i.resources ?? []).map(resourceEntity), InboundLinks: [], OutboundLinks: [],
    })),
    Resources: (p.resources ?? []).map(resourceEntity),
    InboundLinks: (p.nodes ?? []).map((n) => ({ LinkTypeId: 'ChannelNodeProduct', SourceEntityTypeId: 'ChannelNode', SourceEntityId: n })),
    OutboundLinks: [],
  };
}

function resourceEntity(id: number) {
  return { EntityId: id, EntityTypeId: 'Resource', FieldSetId: null, Attributes: { ResourceFilename: `${id}.jpg` } };
}

export function nodeLine(id: number, name: string, opts: { children?: number[]; products?: number[] } = {}) {
  return {
    EntityId: id, EntityTypeId: 'ChannelNode', FieldSetId: null,
    Attributes: { ChannelNodeID: `N${id}`, ChannelNodeName: { en: name } },
    InboundLinks: [],
    OutboundLinks: [
      ...(opts.children ?? []).map((c) => ({ LinkTypeId: 'ChannelNodeChannelNodes', TargetEntityTypeId: 'ChannelNode', TargetEntityId: c })),
      ...(opts.products ?? []).map((p) => ({ LinkTypeId: 'ChannelNodeProduct', TargetEntityTypeId: 'Product', TargetEntityId: p })),
    ],
  };
}

export const deleteLine = (id: number, type = 'Product') => ({ EntityTypeId: type, EntityId: id, Deleted: true });

export const jsonl = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

export class TempBucket {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bucket-'));

  write(key: string, content: string | Buffer, opts: { gzip?: boolean } = {}): string {
    const file = path.join(this.root, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, opts.gzip ? gzipSync(content) : content);
    return key;
  }

  product(bu: string, name: string, lines: unknown[], opts: { gzip?: boolean } = {}): string {
    return this.write(`${bu}/PRODUCT/2026/04/${name}`, jsonl(lines), opts);
  }

  copyFrom(dir: string): this {
    fs.cpSync(dir, this.root, { recursive: true });
    return this;
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
