// Our byte offsets against the C layout rules, as koffi computes them from the structs
// declared the way the kernel headers declare them (x86_64).
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { Cmsghdr, cmsgSpace, Ifreq, Iovec, Mmsghdr, Msghdr, SockaddrIn, SockaddrIn6, VirtioNetHdr } from '../../src/io/linux-abi.js';
import { BufReg, Cqe, Params, Sqe } from '../../src/io/uring/abi.js';

function offsets(type: ReturnType<typeof koffi.struct>, fields: Record<string, number>): void {
  for (const [field, expected] of Object.entries(fields)) expect([field, koffi.offsetof(type, field)]).toEqual([field, expected]);
}

describe('struct layouts', () => {
  it('socket structs', () => {
    const sockaddrIn = koffi.struct({ sin_family: 'uint16', sin_port: 'uint16', sin_addr: 'uint32', sin_zero: koffi.array('uint8', 8) });
    expect(koffi.sizeof(sockaddrIn)).toBe(SockaddrIn.SIZE);
    offsets(sockaddrIn, { sin_port: SockaddrIn.PORT, sin_addr: SockaddrIn.ADDR });
    const sockaddrIn6 = koffi.struct({ family: 'uint16', port: 'uint16', flowinfo: 'uint32', addr: koffi.array('uint8', 16), scope: 'uint32' });
    expect(koffi.sizeof(sockaddrIn6)).toBe(SockaddrIn6.SIZE);
    offsets(sockaddrIn6, { port: SockaddrIn6.PORT, flowinfo: SockaddrIn6.FLOWINFO, addr: SockaddrIn6.ADDR, scope: SockaddrIn6.SCOPE_ID });
    const iovec = koffi.struct({ base: 'void *', len: 'size_t' });
    expect(koffi.sizeof(iovec)).toBe(Iovec.SIZE);
    offsets(iovec, { len: Iovec.LEN });
    const msghdr = koffi.struct({ name: 'void *', namelen: 'uint32', iov: 'void *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int' });
    expect(koffi.sizeof(msghdr)).toBe(Msghdr.SIZE);
    offsets(msghdr, { name: Msghdr.NAME, namelen: Msghdr.NAMELEN, iov: Msghdr.IOV, iovlen: Msghdr.IOVLEN, control: Msghdr.CONTROL, controllen: Msghdr.CONTROLLEN, flags: Msghdr.FLAGS });
    const mmsghdr = koffi.struct({ hdr: msghdr, len: 'uint32' });
    expect(koffi.sizeof(mmsghdr)).toBe(Mmsghdr.SIZE);
    offsets(mmsghdr, { len: Mmsghdr.LEN });
    const cmsghdr = koffi.struct({ len: 'size_t', level: 'int', type: 'int' });
    expect(koffi.sizeof(cmsghdr)).toBe(Cmsghdr.SIZE);
    offsets(cmsghdr, { level: Cmsghdr.LEVEL, type: Cmsghdr.TYPE });
    expect(cmsgSpace(2)).toBe(24); // CMSG_SPACE(sizeof(uint16_t)) with glibc
    const ifreq = koffi.struct({ name: koffi.array('char', 16), u: koffi.union({ flags: 'short', mtu: 'int', hw: sockaddrIn, map: koffi.array('uint64', 3) }) });
    expect(koffi.sizeof(ifreq)).toBe(Ifreq.SIZE);
    offsets(ifreq, { u: Ifreq.FLAGS });
    const virtio = koffi.pack({ flags: 'uint8', gso_type: 'uint8', hdr_len: 'uint16', gso_size: 'uint16', csum_start: 'uint16', csum_offset: 'uint16', num_buffers: 'uint16' });
    expect(koffi.sizeof(virtio)).toBe(VirtioNetHdr.SIZE);
    offsets(virtio, { gso_size: VirtioNetHdr.GSO_SIZE, csum_start: VirtioNetHdr.CSUM_START, num_buffers: VirtioNetHdr.NUM_BUFFERS });
  });

  it('io_uring structs', () => {
    const sqOff = koffi.struct({ head: 'uint32', tail: 'uint32', mask: 'uint32', entries: 'uint32', flags: 'uint32', dropped: 'uint32', array: 'uint32', resv1: 'uint32', resv2: 'uint64' });
    const cqOff = koffi.struct({ head: 'uint32', tail: 'uint32', mask: 'uint32', entries: 'uint32', overflow: 'uint32', cqes: 'uint32', flags: 'uint32', resv1: 'uint32', resv2: 'uint64' });
    const params = koffi.struct({
      sq_entries: 'uint32', cq_entries: 'uint32', flags: 'uint32', sq_thread_cpu: 'uint32', sq_thread_idle: 'uint32',
      features: 'uint32', wq_fd: 'uint32', resv: koffi.array('uint32', 3), sq_off: sqOff, cq_off: cqOff,
    });
    expect(koffi.sizeof(params)).toBe(Params.SIZE);
    offsets(params, { flags: Params.FLAGS, features: Params.FEATURES, sq_off: Params.SQ_OFF, cq_off: Params.CQ_OFF });
    const sqe = koffi.struct({
      opcode: 'uint8', flags: 'uint8', ioprio: 'uint16', fd: 'int32', off: 'uint64', addr: 'uint64', len: 'uint32',
      op_flags: 'uint32', user_data: 'uint64', buf_index: 'uint16', personality: 'uint16', file_index: 'uint32', addr3: 'uint64', pad: 'uint64',
    });
    expect(koffi.sizeof(sqe)).toBe(Sqe.SIZE);
    offsets(sqe, { flags: Sqe.FLAGS, ioprio: Sqe.IOPRIO, fd: Sqe.FD, off: Sqe.OFF, addr: Sqe.ADDR, len: Sqe.LEN, op_flags: Sqe.OP_FLAGS, user_data: Sqe.USER_DATA, buf_index: Sqe.BUF_INDEX });
    const cqe = koffi.struct({ user_data: 'uint64', res: 'int32', flags: 'uint32' });
    expect(koffi.sizeof(cqe)).toBe(Cqe.SIZE);
    offsets(cqe, { res: Cqe.RES, flags: Cqe.FLAGS });
    const bufReg = koffi.struct({ ring_addr: 'uint64', ring_entries: 'uint32', bgid: 'uint16', pad: 'uint16', resv: koffi.array('uint64', 3) });
    expect(koffi.sizeof(bufReg)).toBe(BufReg.SIZE);
    offsets(bufReg, { ring_entries: BufReg.RING_ENTRIES, bgid: BufReg.BGID });
  });
});
