package io.metarec.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.meta.MetaGradientAccumulator;
import io.metarec.meta.TestFixtures;
import io.metarec.model.Activation;
import io.metarec.model.Feedback;
import io.metarec.model.ParamLayout;
import io.metarec.spark.MetaRecKryoRegistrator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;

/** RESULT frames as a broken or hostile peer could send them, read without a connection. */
class RoundWireTest {
  private static final ParamLayout LAYOUT = new ParamLayout(
      TestFixtures.tinySpec(Feedback.EXPLICIT, true, Activation.RELU));
  private static final SerializerInstance SER = new KryoSerializer(new SparkConf(false)
      .set("spark.kryo.registrator", MetaRecKryoRegistrator.class.getName())).newInstance();

  private static DataInputStream frame(long iteration, int length, byte[] payload) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    out.writeInt(RoundWire.RESULT);
    out.writeLong(iteration);
    out.writeLong(123L);
    out.writeInt(length);
    out.write(payload);
    return new DataInputStream(new ByteArrayInputStream(b.toByteArray()));
  }

  @Test
  void anAccumulatorRoundTrips() throws IOException {
    MetaGradientAccumulator acc = new MetaGradientAccumulator(LAYOUT);
    acc.addTaskCountInPlace(3, 1.5);
    acc.denseSums()[0] = 2.5f;
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    RoundWire.writeResult(new DataOutputStream(b), 7, 99, acc, SER);
    RoundWire.Result r = RoundWire.readResult(new DataInputStream(
        new ByteArrayInputStream(b.toByteArray())), 7, 0, LAYOUT, RoundWire.maxResultBytes(LAYOUT), SER);
    assertEquals(3, r.accumulator().taskCount());
    assertEquals(2.5f, r.accumulator().denseSums()[0]);
    assertEquals(99, r.kernelNanos());
    assertTrue(b.size() < RoundWire.maxResultBytes(LAYOUT), "a real result fits the bound");
  }

  @Test
  void aLengthBeyondTheLayoutsBoundIsRefusedBeforeAllocating() throws IOException {
    // 2^31 - 1 bytes announced: reading it would have asked for a 2 GiB array.
    IOException e = assertThrows(IOException.class, () -> RoundWire.readResult(
        frame(4, Integer.MAX_VALUE, new byte[16]), 4, 1, LAYOUT, RoundWire.maxResultBytes(LAYOUT), SER));
    assertTrue(e.getMessage().contains("at most"), e.getMessage());
    assertThrows(IOException.class, () -> RoundWire.readResult(frame(4, -1, new byte[0]), 4, 1,
        LAYOUT, RoundWire.maxResultBytes(LAYOUT), SER));
  }

  @Test
  void bytesThatAreNotAnAccumulatorAreAnIoErrorNotAKryoCrash() {
    IOException e = assertThrows(IOException.class, () -> RoundWire.readResult(
        frame(4, 16, new byte[16]), 4, 1, LAYOUT, RoundWire.maxResultBytes(LAYOUT), SER));
    assertTrue(e.getMessage().contains("not an accumulator"), e.getMessage());
  }

  @Test
  void anotherIterationsResultIsRefused() {
    IOException e = assertThrows(IOException.class, () -> RoundWire.readResult(
        frame(5, 0, new byte[0]), 4, 1, LAYOUT, RoundWire.maxResultBytes(LAYOUT), SER));
    assertTrue(e.getMessage().contains("for iteration 5"), e.getMessage());
  }

  @Test
  void tableRowsTravelCompactlyAndComeBackInTheirOrder() throws IOException {
    io.metarec.model.Params theta = TestFixtures.randomParams(LAYOUT.spec(), 3);
    MetaGradientAccumulator acc = new MetaGradientAccumulator(LAYOUT);
    new io.metarec.meta.JvmAdaptationEngine(LAYOUT.spec(), TestFixtures.tinyItems(
        LAYOUT.spec().numItems())).accumulate(TestFixtures.tinyTasks(Feedback.EXPLICIT, 5)
        .iterator(), theta, io.metarec.config.TrainSettings.defaults(), 0, acc);
    MetaGradientAccumulator back = SER.deserialize(SER.serialize(acc,
        scala.reflect.ClassTag$.MODULE$.apply(MetaGradientAccumulator.class)),
        scala.reflect.ClassTag$.MODULE$.apply(MetaGradientAccumulator.class));
    io.metarec.meta.SparseRows a = acc.table(LAYOUT.itemEmb);
    io.metarec.meta.SparseRows b = back.table(LAYOUT.itemEmb);
    assertTrue(a.size() > 1);
    org.junit.jupiter.api.Assertions.assertArrayEquals(a.keys(), b.keys(), "insertion order kept");
    org.junit.jupiter.api.Assertions.assertArrayEquals(acc.toFlat(), back.toFlat());
  }

  @Test
  void thetaAndADeltaLargerThanOneChunkSurviveTheSerializerABroadcastUses() {
    // 300,000 items x 16 columns: more than one 4M-float chunk per table.
    io.metarec.model.ModelSpec big = new io.metarec.model.ModelSpec(300_000,
        java.util.List.of(new io.metarec.model.FieldSpec("age", 5, false)), java.util.List.of(),
        16, java.util.List.of(8), Activation.RELU, 4, Feedback.EXPLICIT, false, false);
    io.metarec.model.Params theta = io.metarec.model.ParamInitializer.initialize(big, 3, 0.4f, 0.7f);
    var deltaTag = scala.reflect.ClassTag$.MODULE$.<io.metarec.train.ThetaDelta>apply(
        io.metarec.train.ThetaDelta.class);
    io.metarec.train.ThetaDelta full = io.metarec.train.ThetaDelta.full(theta, 3);
    io.metarec.model.Params copy = new io.metarec.model.Params(theta.layout());
    SER.deserialize(SER.serialize(full, deltaTag), deltaTag).applyTo(copy);
    assertTrue(copy.bitEquals(theta));
    var paramsTag = scala.reflect.ClassTag$.MODULE$.<io.metarec.model.Params>apply(
        io.metarec.model.Params.class);
    assertTrue(SER.deserialize(SER.serialize(theta, paramsTag), paramsTag).bitEquals(theta));
  }

  @Test
  void aStatusOrRowsOfAnotherIterationAreRefused() throws IOException {
    io.metarec.model.Params theta = TestFixtures.randomParams(LAYOUT.spec(), 4);
    int[][] request = new int[LAYOUT.numSegments()][];
    for (io.metarec.model.Segment s : LAYOUT.segments()) {
      if (s.table()) {
        request[s.id()] = s.rows() > 2 ? new int[] {0, s.rows() - 1} : new int[] {0};
      }
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    RoundWire.writeStatus(new DataOutputStream(b), 8, LAYOUT, request);
    int[][] read = RoundWire.readStatus(
        new DataInputStream(new ByteArrayInputStream(b.toByteArray())), 8, 0, LAYOUT);
    for (io.metarec.model.Segment s : LAYOUT.segments()) {
      if (s.table()) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(request[s.id()], read[s.id()]);
      }
    }
    assertThrows(IOException.class, () -> RoundWire.readStatus(
        new DataInputStream(new ByteArrayInputStream(b.toByteArray())), 9, 0, LAYOUT));
    ByteArrayOutputStream t = new ByteArrayOutputStream();
    long bytes = RoundWire.writeRows(new DataOutputStream(t), 8, theta, request);
    assertEquals(t.size() - 12, bytes, "the rows message counts its own bytes");
    long run = 1L << 53;
    io.metarec.train.ThetaRowCache cache = io.metarec.train.ThetaRowCache.of(run, LAYOUT);
    cache.advance(io.metarec.train.ThetaPull.News.reset(theta, 8));
    io.metarec.model.Params copy = cache.fill(RoundWire.readRows(
        new DataInputStream(new ByteArrayInputStream(t.toByteArray())), 8, LAYOUT));
    for (io.metarec.model.Segment s : LAYOUT.segments()) {
      if (s.table()) {
        for (int k : request[s.id()]) {
          org.junit.jupiter.api.Assertions.assertArrayEquals(theta.segment(s.id())[k],
              copy.segment(s.id())[k]);
        }
      }
    }
    IOException e = assertThrows(IOException.class, () -> RoundWire.readRows(
        new DataInputStream(new ByteArrayInputStream(t.toByteArray())), 9, LAYOUT));
    assertTrue(e.getMessage().contains("iteration 9"), e.getMessage());
    io.metarec.train.ThetaRowCache.release(run);
  }
}
