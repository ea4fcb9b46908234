// Cross-checks the generated codec with Debian's protoc (3.21): our bytes decode with
// `protoc --decode` to the expected text, and bytes made by `protoc --encode` decode with ours.
import { describe, expect, it } from 'vitest';
import { decodeAgentMessage, decodeHubMessage, encodeAgentMessage, encodeBatch, encodeHubMessage, frameBatch, pb } from '../../protocols/wire/codec.js';
import { protocDecode, protocEncode } from '../support/protoc.js';

describe('agent → hub frames decode with protoc', () => {
  it('Hello with catalog', async () => {
    const bytes = encodeAgentMessage({
      hello: {
        agentId: 'agent-1', siteId: 'site-1', rackId: 'r1', softwareVersion: '0.1.0', protocolVersion: 1, streamId: 123456789012, session: 3,
        capabilities: ['telemetry'], catalogVersion: 0xdeadbeef, oldestUnackedSeq: 7, timeMs: 1700000000123,
        devices: [{ id: 'pdu-a', kind: pb.DeviceKind.DEVICE_KIND_PDU, model: 'rackpilot-sim-pdu', address: 'tcp://127.0.0.1:5020#1', labels: { row: 'A' } }],
        series: [{ alias: 1, device: 'pdu-a', quantity: 'phase.current', channel: 'L1', unit: 'A', scaleExp: -2, kind: pb.SeriesKind.SERIES_KIND_GAUGE }],
      },
    });
    const text = await protocDecode('AgentMessage', bytes);
    expect(text).toBe(`hello {
  agent_id: "agent-1"
  site_id: "site-1"
  rack_id: "r1"
  software_version: "0.1.0"
  protocol_version: 1
  stream_id: 123456789012
  session: 3
  capabilities: "telemetry"
  devices {
    id: "pdu-a"
    kind: DEVICE_KIND_PDU
    model: "rackpilot-sim-pdu"
    address: "tcp://127.0.0.1:5020#1"
    labels {
      key: "row"
      value: "A"
    }
  }
  series {
    alias: 1
    device: "pdu-a"
    quantity: "phase.current"
    channel: "L1"
    unit: "A"
    scale_exp: -2
  }
  catalog_version: 3735928559
  oldest_unacked_seq: 7
  time_ms: 1700000000123
}
`);
  });

  it('TelemetryBatch with columns, missing values, events; framed as historical without re-encoding', async () => {
    const batch = encodeBatch({
      seq: 42, catalogVersion: 9, baseTimeMs: 1700000000000,
      groups: [{ timeOffsetMs: 0, aliasDeltas: [1, 1, 3], values: [2301, -5, 123456789], missingAliasDeltas: [2], missingQuality: [pb.Quality.QUALITY_TIMEOUT] }],
      events: [{ timeMs: 1700000000500, severity: pb.Severity.SEVERITY_WARNING, type: 'device.down', device: 'pdu-a', message: 'x', values: { failed: 2 } }],
    });
    const live = await protocDecode('AgentMessage', frameBatch(batch, false));
    expect(live).toContain('seq: 42');
    expect(live).not.toContain('historical');
    expect(live).toContain('alias_deltas: 1\n    alias_deltas: 1\n    alias_deltas: 3');
    expect(live).toContain('values: 2301\n    values: -5\n    values: 123456789');
    expect(live).toContain('missing_quality: QUALITY_TIMEOUT');
    expect(live).toContain('severity: SEVERITY_WARNING');
    const hist = await protocDecode('AgentMessage', frameBatch(batch, true));
    expect(hist).toContain('historical: true');
    expect(hist.replace('  historical: true\n', '')).toBe(live);
    // our own decoder sees the same
    const ours = decodeAgentMessage(frameBatch(batch, true));
    expect(ours.ok && ours.message.batch?.historical).toBe(true);
    expect(ours.ok && ours.message.batch?.seq).toBe(42);
  });

  it('a long batch (multi-byte length prefix) frames correctly', async () => {
    const values = Array.from({ length: 500 }, (_, i) => i * 1000 - 250000);
    const batch = encodeBatch({ seq: 1, baseTimeMs: 1, groups: [{ aliasDeltas: values.map(() => 1), values }] });
    expect(batch.length).toBeGreaterThan(128);
    const text = await protocDecode('AgentMessage', frameBatch(batch, true));
    expect(text.match(/values: /g)).toHaveLength(500);
    expect(text).toContain('historical: true');
  });
});

describe('protoc-encoded frames decode with ours', () => {
  it('HubMessage Command', async () => {
    const bytes = await protocEncode('HubMessage', 'command { id: "c-1" target_agent: "agent-1" issued_at_ms: 1700000000000 expires_at_ms: 1700000030000 nonce: "\\001\\002" cmd_seq: 5 ping { payload: "hi" } }');
    const r = decodeHubMessage(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.message.command as pb.Command;
    expect(c.id).toBe('c-1');
    expect(c.action).toBe('ping');
    expect(c.ping?.payload).toBe('hi');
    expect(c.expiresAtMs).toBe(1700000030000);
    expect(Buffer.from(c.nonce).toString('hex')).toBe('0102');
    // and back: our encoding of the decoded message is byte-identical to protoc's
    expect(Buffer.from(encodeHubMessage({ command: c })).equals(bytes)).toBe(true);
  });

  it('HubMessage Ack and Welcome', async () => {
    const ack = decodeHubMessage(await protocEncode('HubMessage', 'ack { stream_id: 99 upto_seq: 18446744073 }'));
    expect(ack.ok && ack.message.ack?.uptoSeq).toBe(18446744073);
    const w = decodeHubMessage(await protocEncode('HubMessage', 'welcome { hub_id: "h" acked_upto: 12 heartbeat_interval_ms: 30000 }'));
    expect(w.ok && w.message.welcome?.ackedUpto).toBe(12);
  });

  it('AgentMessage TelemetryBatch with negative fixed-point values', async () => {
    const bytes = await protocEncode('AgentMessage', 'batch { seq: 3 base_time_ms: 1700000000000 groups { time_offset_ms: -5 alias_deltas: [1, 2] values: [-100, 100] } }');
    const r = decodeAgentMessage(bytes);
    expect(r.ok).toBe(true);
    const g = r.ok ? ((r.message.batch as pb.TelemetryBatch).groups[0] as pb.SampleGroup) : undefined;
    expect(g?.timeOffsetMs).toBe(-5);
    expect(g?.values).toEqual([-100, 100]);
  });
});

describe('decoding refuses bad frames with a typed error', () => {
  it('empty, garbage, oversized, no body', () => {
    expect(decodeAgentMessage(new Uint8Array()).ok).toBe(false);
    const garbage = decodeAgentMessage(Buffer.from('ffffffffffffffffff', 'hex'));
    expect(!garbage.ok && garbage.error.code).toBe('malformed');
    const big = decodeAgentMessage(new Uint8Array(2000), 1000);
    expect(!big.ok && big.error.code).toBe('oversized');
    const none = decodeAgentMessage(new Uint8Array([0x28, 0x01])); // only an unknown field 5
    expect(!none.ok && none.error.code).toBe('no_body');
  });
  it('never throws on random bytes', () => {
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const n = (seed = (seed * 1103515245 + 12345) >>> 0) % 64;
      const buf = new Uint8Array(n + 1).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff);
      expect(() => decodeAgentMessage(buf)).not.toThrow();
      expect(() => decodeHubMessage(buf)).not.toThrow();
    }
  });
});
