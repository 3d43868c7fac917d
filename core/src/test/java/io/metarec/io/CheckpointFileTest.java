package io.metarec.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.io.ModelFileException.Problem;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointFileTest {
  private static final String SRC = "hdfs:///metarec/run-3/checkpoints/iter-000120.ckpt";
  private static final List<ParamSegment> THETA = List.of(ParamSegment.of("item_emb", 4, 2), ParamSegment.of("out.w", 1, 2));

  private static Checkpoint sample() {
    float[] theta = {-0.0f, Float.MIN_VALUE, Float.intBitsToFloat(0x7fa0_0042), 1f, 2f, 3f, 4f, 5f, 6f, 7f};
    float[] m = new float[theta.length];
    Arrays.fill(m, 1e-8f);
    float[] v = {Float.intBitsToFloat(0x0000_0003), 0f, -0.0f}; // another length than m
    Map<String, String> info = new LinkedHashMap<>();
    info.put("best.val.ndcg@10", "0.4123");
    info.put("outerLr", "5.0E-4");
    info.put("note", "step size halved twice — ünïcödé");
    return new Checkpoint(new ParamVector(THETA, theta),
        List.of(new StateBuffer("adam.m", m), new StateBuffer("adam.v", v), new StateBuffer("empty", new float[0])),
        120, new long[] {0x9E3779B97F4A7C15L, -1L, 42L}, "sha256:3f1a9c", info);
  }

  private static byte[] write(Checkpoint c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointFile.write(out, SRC, c);
    return out.toByteArray();
  }

  private static ModelFileException readFails(byte[] file) {
    ModelFileException e = assertThrows(ModelFileException.class,
        () -> CheckpointFile.read(new ByteArrayInputStream(file), SRC, THETA));
    assertEquals(SRC, e.source());
    assertTrue(e.getMessage().startsWith(SRC + ": "), e.getMessage());
    return e;
  }

  @Test
  void checkpointRoundTripIsBitExact() throws IOException {
    Checkpoint c = sample();
    Checkpoint back = CheckpointFile.read(new ByteArrayInputStream(write(c)), SRC, THETA);
    assertEquals(c, back); // floats compared bit by bit
    assertEquals(120, back.iteration());
    assertArrayEquals(c.rngState(), back.rngState());
    assertEquals("sha256:3f1a9c", back.configHash());
    assertEquals(List.copyOf(c.info().keySet()), List.copyOf(back.info().keySet())); // order kept
    assertEquals(0x7fa0_0042, Float.floatToRawIntBits(back.theta().data()[2]));
    assertEquals(List.of(10, 3, 0), back.optimizerState().stream().map(b -> b.values().length).toList());
    assertEquals(c, CheckpointFile.read(new ByteArrayInputStream(write(c)), SRC));
  }

  @Test
  void corruptOptimizerByteIsAChecksumErrorNamingTheFile() throws IOException {
    byte[] file = write(sample());
    file[file.length - 4 - 2] ^= 0x40; // inside adam.v
    assertEquals(Problem.CHECKSUM_MISMATCH, readFails(file).problem());
  }

  @Test
  void truncatedCheckpointCountsAllDataSections() throws IOException {
    byte[] file = write(sample());
    int dataBytes = 4 * (10 + 10 + 3);
    int dataStart = file.length - 4 - dataBytes;
    ModelFileException e = readFails(Arrays.copyOf(file, dataStart + 4 * 10 + 6));
    assertEquals(SRC + ": truncated: expected " + dataBytes + " bytes of data, found 46", e.getMessage());
  }

  @Test
  void parameterFileIsNotACheckpointAndNewerCheckpointIsRefused() throws IOException {
    ByteArrayOutputStream params = new ByteArrayOutputStream();
    ParamFile.write(params, SRC, sample().theta());
    ModelFileException e = readFails(params.toByteArray());
    assertEquals(Problem.NOT_A_MODEL_FILE, e.problem());
    assertTrue(e.getMessage().contains("not a MetaRec checkpoint: it is a MetaRec parameter file"), e.getMessage());

    byte[] file = write(sample());
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 7);
    assertEquals(SRC + ": written by a newer MetaRec: format 7, this build reads up to 1",
        readFails(file).getMessage());
  }

  @Test
  void checkpointOfAnotherModelNamesTheSegment() throws IOException {
    byte[] file = write(sample());
    List<ParamSegment> bigger = List.of(ParamSegment.of("item_emb", 6, 2), ParamSegment.of("out.w", 1, 2));
    ModelFileException e = assertThrows(ModelFileException.class,
        () -> CheckpointFile.read(new ByteArrayInputStream(file), SRC, bigger));
    assertEquals(Problem.LAYOUT_MISMATCH, e.problem());
    assertTrue(e.getMessage().contains("segment item_emb: expected [6, 2], file has [4, 2]"), e.getMessage());
  }

  @Test
  void checkpointRejectsInvalidPartsWithTheValue() {
    Checkpoint c = sample();
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> new Checkpoint(
        c.theta(), c.optimizerState(), -1, c.rngState(), c.configHash(), c.info()));
    assertEquals("iteration must be >= 0, got -1", negative.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new Checkpoint(
        c.theta(), List.of(new StateBuffer("m", new float[1]), new StateBuffer("m", new float[2])), 0,
        c.rngState(), c.configHash(), c.info()));
    assertTrue(twice.getMessage().contains("got m twice"), twice.getMessage());
  }
}
