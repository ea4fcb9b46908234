// What a socket or TLS error on the way to the hub means on a site, and what to do about it.
// Pure: error codes and messages in, one finding out. Codes are Node's (libuv errno names,
// OpenSSL verify codes, ERR_TLS_* and ERR_SSL_* from alerts the peer sent).

export interface Finding {
  readonly detail: string;
  readonly fix: string;
}

interface Where {
  readonly step: 'dns' | 'tcp';
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
}

/** DNS and TCP failures. */
export function classifySocketError(err: NodeJS.ErrnoException, w: Where): Finding {
  const at = `${w.host.includes(':') ? `[${w.host}]` : w.host}:${w.port}`;
  switch (err.code) {
    case 'ENOTFOUND':
      return { detail: `${w.host} does not resolve (ENOTFOUND)`, fix: 'check the host name in hub.url, and this controller\'s DNS servers (resolvectl status, /etc/resolv.conf)' };
    case 'EAI_AGAIN':
    case 'ETIMEOUT':
      return { detail: `no DNS answer for ${w.host} (${err.code})`, fix: 'the controller cannot reach its DNS server: check its network and resolvectl status; or put the hub\'s address in hub.url' };
    case 'ECONNREFUSED':
      return { detail: `${at} refused the connection`, fix: `the hub is not listening on port ${w.port} there, or a firewall rejects it: check the hub runs (rackpilot hub --listen) and that TCP ${w.port} is open from this controller` };
    case 'ETIMEDOUT':
      return { detail: `no answer from ${at} within ${w.timeoutMs} ms (the connection attempt was not answered at all)`, fix: `a firewall is dropping TCP ${w.port} to the hub (site firewall, VLAN ACL, security group): allow it outbound from this controller` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { detail: `${at} is unreachable from here (${err.code})`, fix: 'no route to the hub: check this controller\'s address, gateway and VLAN (ip route)' };
    case 'ECONNRESET':
      return { detail: `${at} reset the connection`, fix: 'a firewall or proxy in between cuts the connection: allow the hub\'s port through' };
    default:
      return { detail: `${at}: ${err.code ?? ''} ${err.message}`.trim(), fix: 'check the network path from this controller to the hub' };
  }
}

const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE']);

/** TLS failures: the hub's certificate (verified here), or ours (refused by the hub). */
export function classifyTlsError(err: NodeJS.ErrnoException & { reason?: string }, o: { ca: string | undefined; serverName: string; clientCert: boolean; afterHandshake?: boolean }): Finding {
  const code = err.code ?? '';
  const msg = err.message ?? '';
  const trust = o.ca ? `hub.tls.ca (${o.ca})` : 'the system\'s CA store (hub.tls.ca is not set)';
  if (UNTRUSTED.has(code)) return { detail: `the hub's certificate is not signed by a CA in ${trust} (${code})`, fix: 'set hub.tls.ca to the site CA that issued the hub\'s certificate (docs/security.md)' };
  if (code === 'CERT_HAS_EXPIRED') return { detail: 'the hub\'s certificate has expired', fix: 'renew the hub\'s certificate (or check this controller\'s clock: timedatectl status)' };
  if (code === 'CERT_NOT_YET_VALID') return { detail: 'the hub\'s certificate is not valid yet', fix: 'this controller\'s clock is probably behind: timedatectl status (NTP)' };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { detail: `the hub's certificate is not for ${o.serverName}: ${err.reason ?? msg}`, fix: 'use the name on the certificate in hub.url, or set hub.tls.serverName to it' };
  }
  if (/certificate required/i.test(msg) || /CERTIFICATE_REQUIRED/.test(code) || (!o.clientCert && /handshake failure/i.test(msg))) {
    return { detail: 'the hub requires a client certificate and this agent sent none', fix: 'set hub.tls.cert and hub.tls.key to this agent\'s certificate and key (docs/security.md)' };
  }
  if (/unknown ca|bad certificate|certificate unknown|decrypt error/i.test(msg)) {
    return { detail: `the hub refused this agent's client certificate (${msg.replace(/^.*alert /i, 'alert ').trim()})`, fix: 'hub.tls.cert must be issued by the CA the hub trusts for agents (its --client-ca): docs/security.md' };
  }
  if (/wrong version number|packet length too long|unknown protocol|record layer failure/i.test(msg)) {
    return { detail: 'the hub\'s port does not speak TLS', fix: 'start the hub with --tls-cert/--tls-key, or use ws:// if this hub has no TLS (not on a site)' };
  }
  if (code === 'ETIMEDOUT') return { detail: `the TLS handshake got no answer within the timeout`, fix: 'something between controller and hub holds the connection (TLS inspection, a proxy): let it through untouched' };
  if (code === 'ECONNRESET' || /socket disconnected|closed without an answer/i.test(msg)) {
    return o.afterHandshake && o.clientCert
      ? { detail: 'the hub closed the connection right after the handshake: it did not accept this agent\'s client certificate', fix: 'hub.tls.cert must be issued by the CA the hub trusts for agents (its --client-ca): docs/security.md' }
      : { detail: 'the connection was closed during the TLS handshake', fix: 'a proxy or firewall in between (TLS inspection?), or the hub refused us: see the hub\'s log (TLS handshake refused)' };
  }
  return { detail: `TLS: ${code ? `${code}: ` : ''}${msg}`, fix: 'see docs/security.md; the hub\'s log names what it refused' };
}
