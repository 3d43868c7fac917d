package io.metarec.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers the classes MetaRec caches and ships (tasks, item tables, meta-gradient accumulators),
 * so Kryo writes a small id instead of each class name. Set with
 * {@code spark.kryo.registrator=io.metarec.spark.MetaRecKryoRegistrator}.
 */
public final class MetaRecKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    // Kryo 4's field serializer cannot set a record's final fields; records go through Java
    // serialization inside Kryo (they are small: specs, segments, per-partition statistics).
    kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
    // ND4J arrays hold off-heap data Kryo's field serializer cannot copy; their own Java
    // serialization writes the values (pretrain ships DL4J parameters and minibatches this way,
    // and dl4j-spark refuses to start unless an array survives a Kryo round trip).
    kryo.addDefaultSerializer(org.nd4j.linalg.api.ndarray.INDArray.class, JavaSerializer.class);
    kryo.register(io.metarec.task.Task.class);
    kryo.register(io.metarec.task.ItemFeatureTable.class);
    kryo.register(io.metarec.meta.MetaGradientAccumulator.class);
    kryo.register(io.metarec.meta.SparseRows.class, new ParamSerializers.Rows());
    kryo.register(io.metarec.meta.IntIndex.class);
    kryo.register(io.metarec.model.Params.class, new ParamSerializers.Theta());
    kryo.register(io.metarec.train.ThetaDelta.class);
    kryo.register(io.metarec.train.ValidationAccumulator.class);
    kryo.register(io.metarec.model.ParamLayout.class, new ModelSpecSerializers.Layout());
    kryo.register(io.metarec.model.ModelSpec.class, new ModelSpecSerializers.Spec());
    kryo.register(io.metarec.model.FieldSpec.class);
    kryo.register(io.metarec.model.Segment.class);
    kryo.register(int[].class);
    kryo.register(int[][].class);
    kryo.register(int[][][].class);
    kryo.register(float[].class);
    kryo.register(float[][].class);
    kryo.register(float[][][].class);
    kryo.register(double[].class);
    kryo.register(long[].class);
  }
}
