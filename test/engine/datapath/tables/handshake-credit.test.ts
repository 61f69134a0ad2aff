// The bound on the handshakes a worker keeps waiting for the control plane.
import { describe, expect, it } from 'vitest';
import { HANDSHAKE_CREDIT_BYTES, HandshakeCredit, HANDSHAKES_IN_FLIGHT, takeHandshakes } from '../../../../src/engine/datapath/tables/handshake-credit.js';

describe('HandshakeCredit', () => {
  it('admits HANDSHAKES_IN_FLIGHT, then one more for each the control plane takes', () => {
    const buffer = new SharedArrayBuffer(HANDSHAKE_CREDIT_BYTES);
    const taken = new Int32Array(buffer);
    const credit = new HandshakeCredit(buffer);
    let admitted = 0;
    for (let i = 0; i < HANDSHAKES_IN_FLIGHT + 10; i++) if (credit.admit()) admitted++;
    expect(admitted).toBe(HANDSHAKES_IN_FLIGHT);
    takeHandshakes(taken, 2);
    takeHandshakes(taken, 1);
    admitted = 0;
    for (let i = 0; i < 10; i++) if (credit.admit()) admitted++;
    expect(admitted).toBe(3);
  });

});
