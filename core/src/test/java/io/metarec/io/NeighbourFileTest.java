package io.metarec.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.model.ItemNeighbours;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** neighbours.bin: a round trip, and every damage reported naming the file. */
class NeighbourFileTest {
  private static ItemNeighbours sample() {
    return ItemNeighbours.of(new int[][] {{}, {2, 3}, {1}, {}},
        new float[][] {{}, {0.5f, 0.125f}, {0.5f}, {}});
  }

  private static byte[] bytes(ItemNeighbours nb) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NeighbourFile.write(out, nb);
    return out.toByteArray();
  }

  @Test
  void roundTripsExactly() throws IOException {
    ItemNeighbours nb = sample();
    byte[] b = bytes(nb);
    assertEquals(8 + 4 + 4 + 4 + 4 + 4 * 5 + 4 * 3 + 4 * 3 + 4, b.length);
    ItemNeighbours back = NeighbourFile.read(new ByteArrayInputStream(b), "m/neighbours.bin", 4);
    assertArrayEquals(nb.offsets(), back.offsets());
    assertArrayEquals(nb.ids(), back.ids());
    assertArrayEquals(nb.similarities(), back.similarities());
  }

  @Test
  void damageIsReportedNamingTheFile() throws IOException {
    byte[] b = bytes(sample());
    ModelFileException other = assertThrows(ModelFileException.class,
        () -> NeighbourFile.read(new ByteArrayInputStream(b), "m/neighbours.bin", 7));
    assertEquals(ModelFileException.Problem.LAYOUT_MISMATCH, other.problem());
    assertTrue(other.getMessage().startsWith("m/neighbours.bin: neighbourhoods of 4 items, the "
        + "model has 7"), other.getMessage());
    byte[] flipped = b.clone();
    flipped[b.length - 6] ^= 1;
    ModelFileException crc = assertThrows(ModelFileException.class,
        () -> NeighbourFile.read(new ByteArrayInputStream(flipped), "m/neighbours.bin", 4));
    assertEquals(ModelFileException.Problem.CHECKSUM_MISMATCH, crc.problem());
    byte[] cut = java.util.Arrays.copyOf(b, b.length - 10);
    assertEquals(ModelFileException.Problem.TRUNCATED, assertThrows(ModelFileException.class,
        () -> NeighbourFile.read(new ByteArrayInputStream(cut), "m/neighbours.bin", 4)).problem());
    byte[] params = new byte[16];
    System.arraycopy("MRPARAMS".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, params, 0,
        8);
    ModelFileException kind = assertThrows(ModelFileException.class,
        () -> NeighbourFile.read(new ByteArrayInputStream(params), "m/neighbours.bin", 4));
    assertTrue(kind.getMessage().contains("it is a MetaRec parameter file"), kind.getMessage());
  }
}
