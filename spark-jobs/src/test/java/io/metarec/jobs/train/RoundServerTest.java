package io.metarec.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The rounds exchange's accept path on loopback, with no training run and no Spark: who gets in,
 * who is dropped, and that no peer can hold up another. Every wait is bounded and ends as soon as
 * what it waits for has happened, so the tests do not depend on the machine's speed.
 */
class RoundServerTest {
  private static final long ROUND = 0x8000_0000_0000_0007L;

  /** A task's side of the handshake with the right secret; returns the open socket. */
  private static Socket task(RoundServer server, byte[] secret, long round, int partition)
      throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    s.setSoTimeout(10_000);
    DataInputStream in = new DataInputStream(s.getInputStream());
    byte[] nonce = RoundWire.readChallenge(in);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    RoundWire.writeResponse(new DataOutputStream(b), secret, nonce, round, partition);
    s.getOutputStream().write(b.toByteArray());
    RoundWire.readAccepted(in);
    return s;
  }

  /**
   * Whether the peer closed {@code s} within 10 s, whatever it sent first: end of stream (FIN) or a
   * reset (RST) both count.
   */
  private static boolean droppedByPeer(Socket s) {
    try {
      s.setSoTimeout(10_000);
      byte[] skip = new byte[256];
      while (true) {
        if (s.getInputStream().read(skip) == -1) {
          return true;
        }
      }
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(5);
    }
  }

  @Test
  void aTaskWithTheSecretIsDeliveredWithItsRoundAndPartition() throws Exception {
    try (RoundServer server = new RoundServer("127.0.0.1", 0);
        Socket s = task(server, server.secret(), ROUND, 3)) {
      RoundServer.Connection c = server.next(10_000);
      assertNotNull(c);
      assertEquals(ROUND, c.round());
      assertEquals(3, c.partition());
      assertEquals(1, server.stats().authenticated());
      assertEquals(0, server.stats().dropped());
      c.socket().close();
    }
  }

  @Test
  void aWrongSecretIsDroppedAndCounted() throws Exception {
    try (RoundServer server = new RoundServer("127.0.0.1", 0)) {
      byte[] wrong = server.secret();
      wrong[0] ^= 1;
      IOException e = assertThrows(IOException.class, () -> task(server, wrong, ROUND, 0));
      assertTrue(e instanceof java.io.EOFException || e instanceof java.net.SocketException, e.toString());
      assertEquals(1, server.stats().rejected(), "counted before the socket was closed");
      assertNull(server.next(50), "nothing delivered");
    }
  }

  @Test
  void theOldTokenGreetingAndAnyOtherBytesAreDropped() throws Exception {
    try (RoundServer server = new RoundServer("127.0.0.1", 0);
        Socket s = new Socket("127.0.0.1", server.port())) {
      RoundWire.readChallenge(new DataInputStream(s.getInputStream()));
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      // What a task sent before the challenge existed, padded to a response's length.
      out.writeInt(RoundWire.MAGIC);
      out.writeLong(42L);
      out.writeLong(0L);
      out.writeInt(0);
      out.write(new byte[RoundWire.RESPONSE_BYTES - 24]);
      out.flush();
      assertTrue(droppedByPeer(s), "the driver hung up");
      assertEquals(1, server.stats().rejected());
    }
  }

  @Test
  void aCapturedResponseReplayedOnAnotherConnectionIsRejected() throws Exception {
    try (RoundServer server = new RoundServer("127.0.0.1", 0)) {
      // An eavesdropper saw a whole handshake: the nonce and the response to it.
      byte[] seenNonce;
      byte[] seenResponse;
      try (Socket s = new Socket("127.0.0.1", server.port())) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        seenNonce = RoundWire.readChallenge(in);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        RoundWire.writeResponse(new DataOutputStream(b), server.secret(), seenNonce, ROUND, 0);
        seenResponse = b.toByteArray();
        s.getOutputStream().write(seenResponse);
        RoundWire.readAccepted(in);
      }
      server.next(10_000).socket().close();
      try (Socket replay = new Socket("127.0.0.1", server.port())) {
        byte[] nonce = RoundWire.readChallenge(new DataInputStream(replay.getInputStream()));
        assertTrue(!java.util.Arrays.equals(seenNonce, nonce), "every connection gets a fresh nonce");
        replay.getOutputStream().write(seenResponse);
        assertTrue(droppedByPeer(replay));
      }
      assertEquals(1, server.stats().rejected());
      assertEquals(1, server.stats().authenticated());
    }
  }

  @Test
  void anIdlePeerDoesNotHoldUpATaskAndTimesOut() throws Exception {
    try (RoundServer server = new RoundServer("127.0.0.1", 0, 1_000, 8);
        Socket idle = new Socket("127.0.0.1", server.port())) {
      // The idle peer sends nothing; a task that connects after it is let in while it waits.
      try (Socket s = task(server, server.secret(), ROUND, 0)) {
        assertNotNull(server.next(10_000));
        assertEquals(0, server.stats().timedOut(), "let in before the idle peer's deadline");
      }
      assertTrue(droppedByPeer(idle), "the idle peer is dropped at its deadline");
      assertEquals(1, server.stats().timedOut());
    }
  }

  @Test
  void aPeerTricklingBytesIsDroppedAtTheDeadlineOfTheWholeHandshake() throws Exception {
    try (RoundServer server = new RoundServer("127.0.0.1", 0, 500, 8);
        Socket s = new Socket("127.0.0.1", server.port())) {
      RoundWire.readChallenge(new DataInputStream(s.getInputStream()));
      // One byte every 100 ms: no single read waits for the deadline, the handshake as a whole does.
      try {
        for (int i = 0; i < RoundWire.RESPONSE_BYTES - 1; i++) {
          s.getOutputStream().write(0);
          s.getOutputStream().flush();
          Thread.sleep(100);
          if (server.stats().timedOut() > 0) {
            break;
          }
        }
      } catch (IOException closedUnderUs) {
        // the driver dropped it mid-trickle
      }
      await(() -> server.stats().timedOut() == 1, "the trickling peer timed out");
    }
  }

  @Test
  void aFloodOfIdleConnectionsIsRefusedBeyondTheCapAndTasksGetInOnceItPasses() throws Exception {
    int cap = 4;
    try (RoundServer server = new RoundServer("127.0.0.1", 0, 30_000, cap)) {
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < cap + 6; i++) {
          idle.add(new Socket("127.0.0.1", server.port()));
        }
        await(() -> server.stats().refused() == 6, "the connections beyond the cap were refused");
        // A task that connects now is refused too (it retries in RoundTask.connect).
        assertThrows(IOException.class, () -> task(server, server.secret(), ROUND, 0));
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
      await(() -> server.stats().broken() + server.stats().refused() == cap + 7,
          "the idle peers' handshakes ended when they closed");
      await(() -> server.pendingHandshakes() == 0, "their handshake slots were released");
      try (Socket s = task(server, server.secret(), ROUND, 1)) {
        RoundServer.Connection c = server.next(10_000);
        assertEquals(1, c.partition());
      }
    }
  }

  @Test
  void closingEndsPendingHandshakesAndUndeliveredConnections() throws Exception {
    RoundServer server = new RoundServer("127.0.0.1", 0);
    Socket pending = new Socket("127.0.0.1", server.port());
    Socket delivered = task(server, server.secret(), ROUND, 0);
    RoundWire.readChallenge(new DataInputStream(pending.getInputStream()));
    server.close();
    assertTrue(droppedByPeer(pending));
    assertTrue(droppedByPeer(delivered), "a connection no round took is closed");
    pending.close();
    delivered.close();
  }

  @Test
  void macsDependOnTheNonceTheRoundAndThePartition() {
    byte[] secret = new byte[RoundWire.SECRET_BYTES];
    byte[] nonce = new byte[RoundWire.NONCE_BYTES];
    byte[] m = RoundWire.mac(secret, nonce, ROUND, 1);
    assertArrayEquals(m, RoundWire.mac(secret, nonce, ROUND, 1));
    assertTrue(!java.util.Arrays.equals(m, RoundWire.mac(secret, nonce, ROUND, 2)));
    assertTrue(!java.util.Arrays.equals(m, RoundWire.mac(secret, nonce, ROUND + 1, 1)));
    nonce[0] = 1;
    assertTrue(!java.util.Arrays.equals(m, RoundWire.mac(secret, nonce, ROUND, 1)));
  }
}
