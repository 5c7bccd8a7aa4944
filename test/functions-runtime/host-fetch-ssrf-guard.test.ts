import { expect } from 'chai';
import { blockedAddressReason } from '../../functions-runtime/ssrf-guard.ts';

type Row = [address: string, reasonIncludes: string];

const refused: Row[] = [
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private address (10.0.0.0/8)'],
  ['10.255.255.255', 'private'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.255', 'carrier-grade NAT'],
  ['127.0.0.1', 'loopback address (127.0.0.0/8)'],
  ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'link-local address (169.254.0.0/16)'],
  ['172.16.0.1', 'private address (172.16.0.0/12)'],
  ['172.31.255.255', 'private'],
  ['192.0.0.8', 'IETF protocol assignments'],
  ['192.0.2.10', 'documentation'],
  ['192.168.1.1', 'private address (192.168.0.0/16)'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved address (240.0.0.0/4)'],
  ['255.255.255.255', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback address (::1/128)'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'IPv4-mapped address (::ffff:0:0/96) of 127.0.0.1, a loopback address'],
  ['::ffff:7f00:1', 'of 127.0.0.1, a loopback'],
  ['::ffff:a9fe:a9fe', 'of 169.254.169.254, a link-local'],
  ['::ffff:10.1.2.3', 'of 10.1.2.3, a private'],
  ['::127.0.0.1', 'IPv4-compatible'],
  ['64:ff9b::10.0.0.1', 'NAT64 address (64:ff9b::/96) of 10.0.0.1, a private'],
  ['64:ff9b::7f00:1', 'of 127.0.0.1'],
  ['64:ff9b:1::1', 'local-use NAT64'],
  ['2002:7f00:1::', '6to4 address (2002::/16) of 127.0.0.1'],
  ['2002:c0a8:101::1', 'of 192.168.1.1'],
  ['2001:0:4136:e378::1', 'Teredo'],
  ['2001:db8::1', 'documentation'],
  ['fc00::1', 'unique local'],
  ['fd12:3456:789a::1', 'unique local'],
  ['fe80::1', 'link-local address (fe80::/10)'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['fbff::1', 'outside 2000::/3'],
  ['fe7f::1', 'outside 2000::/3'],
  ['4000::1', 'outside 2000::/3'],
  ['localhost', 'not an IP address'],
  ['', 'not an IP address'],
];

const allowed: string[] = [
  '8.8.8.8', '1.1.1.1', '93.184.216.34', '9.255.255.255', '11.0.0.1', '100.63.255.255', '100.128.0.1', '126.255.255.255',
  '128.0.0.1', '169.253.255.255', '169.255.0.1', '172.15.255.255', '172.32.0.1', '192.167.255.255', '192.169.0.1',
  '198.17.255.255', '198.20.0.1', '223.255.255.255',
  '2606:4700:4700::1111', '2a00:1450:4001:81b::200e', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808',
  '2002:808:808::1', '3fff:ffff::1',
];

describe('functions-runtime ssrf-guard: which addresses a function may reach', () => {
  for (const [address, reason] of refused) {
    it(`refuses ${address || '(empty)'}: ${reason}`, () => {
      expect(blockedAddressReason(address)).to.be.a('string').that.includes(reason);
    });
  }

  for (const address of allowed) {
    it(`allows the public address ${address}`, () => {
      expect(blockedAddressReason(address)).to.equal(null);
    });
  }
});
