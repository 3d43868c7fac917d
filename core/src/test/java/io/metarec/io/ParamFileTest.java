package io.metarec.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.io.ModelFileException.Problem;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ParamFileTest {
  private static final String SRC = "models/run-7/theta.bin";
  private static final List<ParamSegment> LAYOUT = List.of(
      ParamSegment.of("item_emb", 5, 3), new ParamSegment("mu", new int[0]), new ParamSegment("out.b", new int[] {2}));

  /** Values whose bits a careless format would lose: signed zero, subnormals, NaN payloads, infinities. */
  private static float[] trickyData() {
    float[] d = new float[18];
    d[0] = -0.0f;
    d[1] = 0.0f;
    d[2] = Float.MIN_VALUE;
    d[3] = -Float.MIN_VALUE;
    d[4] = Float.intBitsToFloat(0x007f_ffff); // largest subnormal
    d[5] = Float.intBitsToFloat(0x7fc0_1234); // quiet NaN with a payload
    d[6] = Float.intBitsToFloat(0xffc0_0001); // negative NaN with a payload
    d[7] = Float.POSITIVE_INFINITY;
    d[8] = Float.NEGATIVE_INFINITY;
    d[9] = Float.MAX_VALUE;
    d[10] = Float.MIN_NORMAL;
    for (int i = 11; i < d.length; i++) {
      d[i] = (float) Math.PI * i;
    }
    return d;
  }

  private static byte[] write(List<ParamSegment> segments, float[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ParamFile.write(out, SRC, segments, data);
    return out.toByteArray();
  }

  private static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Float.floatToRawIntBits(a[i]);
    }
    return b;
  }

  private static ModelFileException readFails(byte[] file, List<ParamSegment> expected) {
    ModelFileException e = assertThrows(ModelFileException.class,
        () -> ParamFile.read(new ByteArrayInputStream(file), SRC, expected));
    assertEquals(SRC, e.source());
    assertTrue(e.getMessage().startsWith(SRC + ": "), e.getMessage());
    return e;
  }

  @Test
  void roundTripKeepsEveryBitIncludingSignedZeroSubnormalsAndNanPayloads() throws IOException {
    float[] data = trickyData();
    byte[] file = write(LAYOUT, data);

    float[] back = ParamFile.read(new ByteArrayInputStream(file), SRC, LAYOUT);
    assertArrayEquals(bits(data), bits(back));
    ParamVector found = ParamFile.readAsFound(new ByteArrayInputStream(file), SRC);
    assertEquals(LAYOUT, found.segments());
    assertEquals(new ParamVector(LAYOUT, data), found);
  }

  @Test
  void layoutIsTheDocumentedOne() throws IOException {
    List<ParamSegment> segs = List.of(ParamSegment.of("w", 1, 2));
    byte[] file = write(segs, new float[] {1.5f, -2f});
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals("MRPARAMS", new String(file, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(1, b.getInt(8)); // version
    assertEquals(1, b.getInt(12)); // segment count
    assertEquals(1, b.getInt(16)); // name length
    assertEquals('w', file[20]);
    assertEquals(2, b.getInt(21)); // rank
    assertEquals(1, b.getInt(25));
    assertEquals(2, b.getInt(29));
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(file, 0, 33);
    assertEquals((int) crc.getValue(), b.getInt(33)); // header CRC
    assertEquals(1.5f, b.getFloat(37));
    assertEquals(-2f, b.getFloat(41));
    crc.reset();
    crc.update(file, 0, 45);
    assertEquals((int) crc.getValue(), b.getInt(45)); // CRC of all before
    assertEquals(49, file.length);
  }

  @Test
  void oneChangedDataByteIsAChecksumErrorNamingTheFile() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    file[file.length - 4 - 10] ^= 0x01; // inside the data
    ModelFileException e = readFails(file, LAYOUT);
    assertEquals(Problem.CHECKSUM_MISMATCH, e.problem());
    assertTrue(e.getMessage().matches(".*checksum mismatch: expected 0x[0-9a-f]{8} \\(stored\\), actual 0x[0-9a-f]{8}.*"),
        e.getMessage());
  }

  @Test
  void oneChangedHeaderByteIsACorruptHeaderNotALayoutMismatch() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    file[32] ^= 0x01; // first dimension of item_emb: 5 becomes 4
    ModelFileException e = readFails(file, LAYOUT);
    assertEquals(Problem.CORRUPT_HEADER, e.problem());
    assertTrue(e.getMessage().contains("header checksum mismatch"), e.getMessage());
  }

  @Test
  void absurdHeaderValuesAreACorruptHeaderBeforeAnyAllocation() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 2_000_000_000); // segment count
    ModelFileException count = readFails(file, LAYOUT);
    assertEquals(Problem.CORRUPT_HEADER, count.problem());
    assertEquals(SRC + ": corrupt header: segment count 2000000000 is out of range [0, 65536]", count.getMessage());

    byte[] big = write(LAYOUT, trickyData());
    ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN).putInt(36, 1 << 30); // 2nd dim of item_emb: 5 x 2^30 floats
    ModelFileException dims = readFails(big, LAYOUT);
    assertEquals(Problem.CORRUPT_HEADER, dims.problem());
    assertTrue(dims.getMessage().contains("more than " + ParamSegment.MAX_SIZE + " floats"), dims.getMessage());
  }

  @Test
  void truncatedDataSaysHowManyBytesWereExpectedAndFound() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    int dataStart = file.length - 4 - 18 * 4;
    ModelFileException e = readFails(Arrays.copyOf(file, dataStart + 30), LAYOUT);
    assertEquals(Problem.TRUNCATED, e.problem());
    assertEquals(SRC + ": truncated: expected 72 bytes of data, found 30", e.getMessage());
  }

  @Test
  void missingChecksumAndTruncatedHeaderAreTruncationErrors() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    ModelFileException noCrc = readFails(Arrays.copyOf(file, file.length - 1), LAYOUT);
    assertEquals(Problem.TRUNCATED, noCrc.problem());
    assertTrue(noCrc.getMessage().contains("expected a 4-byte checksum after the data, found 3 bytes"),
        noCrc.getMessage());
    ModelFileException inHeader = readFails(Arrays.copyOf(file, 22), LAYOUT);
    assertEquals(Problem.TRUNCATED, inHeader.problem());
    assertTrue(inHeader.getMessage().contains("the file ends after 22 bytes"), inHeader.getMessage());
  }

  @Test
  void bytesAfterTheChecksumAreRefused() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    ModelFileException e = readFails(Arrays.copyOf(file, file.length + 1), LAYOUT);
    assertEquals(Problem.TRAILING_BYTES, e.problem());
  }

  @Test
  void wrongMagicIsNotAParameterFile() throws IOException {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0};
    ModelFileException e = readFails(png, LAYOUT);
    assertEquals(Problem.NOT_A_MODEL_FILE, e.problem());
    assertTrue(e.getMessage().contains("not a MetaRec parameter file"), e.getMessage());
    assertTrue(e.getMessage().contains("0x89504e470d0a1a0a"), e.getMessage());

    assertTrue(readFails(new byte[0], LAYOUT).getMessage().contains("empty file"));
    byte[] checkpointMagic = "MRCHKPNT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertTrue(readFails(checkpointMagic, LAYOUT).getMessage().contains("it is a MetaRec checkpoint"));
  }

  @Test
  void newerFormatNamesBothVersions() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
    ModelFileException e = readFails(file, LAYOUT);
    assertEquals(Problem.UNSUPPORTED_VERSION, e.problem());
    assertEquals(SRC + ": written by a newer MetaRec: format 2, this build reads up to 1", e.getMessage());
  }

  @Test
  void shapeMismatchNamesTheSegmentAndBothShapes() throws IOException {
    List<ParamSegment> old = List.of(ParamSegment.of("item_emb", 1500, 16), ParamSegment.of("out.w", 1, 16));
    byte[] file = write(old, new float[1501 * 16]);
    List<ParamSegment> now = List.of(ParamSegment.of("item_emb", 1683, 16), ParamSegment.of("out.w", 1, 16));
    ModelFileException e = readFails(file, now);
    assertEquals(Problem.LAYOUT_MISMATCH, e.problem());
    assertTrue(e.getMessage().contains("segment item_emb: expected [1683, 16], file has [1500, 16]"), e.getMessage());
  }

  @Test
  void missingAndExtraSegmentsAreNamed() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    List<ParamSegment> expected = List.of(ParamSegment.of("item_emb", 5, 3), ParamSegment.of("user_emb", 4, 3),
        new ParamSegment("out.b", new int[] {2}));
    ModelFileException e = readFails(file, expected);
    assertEquals(Problem.LAYOUT_MISMATCH, e.problem());
    assertTrue(e.getMessage().contains("missing segment user_emb [4, 3]"), e.getMessage());
    assertTrue(e.getMessage().contains("extra segment mu []"), e.getMessage());
  }

  @Test
  void sameSegmentsInAnotherOrderAreAMismatch() throws IOException {
    byte[] file = write(LAYOUT, trickyData());
    List<ParamSegment> reordered = List.of(LAYOUT.get(1), LAYOUT.get(0), LAYOUT.get(2));
    ModelFileException e = readFails(file, reordered);
    assertTrue(e.getMessage().contains("segment order differs"), e.getMessage());
  }

  @Test
  void writeRefusesDataThatDoesNotMatchItsSegments() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ParamFile.write(new ByteArrayOutputStream(), SRC, LAYOUT, new float[17]));
    assertTrue(e.getMessage().startsWith(SRC + ": data has 17 floats"), e.getMessage());
  }

  /** Hands out at most 7 bytes per read, so every buffer boundary and partial float is exercised. */
  private static final class Trickle extends FilterInputStream {
    Trickle(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return super.read(b, off, Math.min(len, 7));
    }
  }

  @Test
  void fiveMillionFloatsStreamThroughSmallReads() throws IOException {
    int rows = 312_500;
    int dim = 16;
    List<ParamSegment> big = List.of(ParamSegment.of("item_emb", rows, dim), ParamSegment.of("bias", 1, 3));
    float[] data = new float[rows * dim + 3];
    SplittableRandom rng = new SplittableRandom(11);
    for (int i = 0; i < data.length; i++) {
      data[i] = Float.intBitsToFloat(rng.nextInt());
    }
    byte[] file = write(big, data);
    assertEquals(8 + 4 + 4 + (4 + 8 + 4 + 8) + (4 + 4 + 4 + 8) + 4 + 4L * data.length + 4, file.length);

    float[] back = ParamFile.read(new ByteArrayInputStream(file), SRC, big);
    assertArrayEquals(bits(data), bits(back));
    float[] trickled = ParamFile.read(new Trickle(new ByteArrayInputStream(file)), SRC, big);
    assertArrayEquals(bits(data), bits(trickled));
  }
}
