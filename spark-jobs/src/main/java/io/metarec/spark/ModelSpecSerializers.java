package io.metarec.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.metarec.model.Activation;
import io.metarec.model.FieldSpec;
import io.metarec.model.Feedback;
import io.metarec.model.ModelSpec;
import io.metarec.model.ParamLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Compact Kryo serializers for the model spec and the parameter layout, which travel inside every
 * per-partition meta-gradient accumulator. Without them each would go through Java serialization
 * (records), which costs milliseconds per accumulator; a layout is rebuilt from its spec.
 */
final class ModelSpecSerializers {
  private ModelSpecSerializers() {}

  /** Writes a {@link ModelSpec} field by field. */
  static final class Spec extends Serializer<ModelSpec> {
    @Override
    public void write(Kryo kryo, Output out, ModelSpec s) {
      out.writeInt(s.numItems(), true);
      writeFields(out, s.userFields());
      writeFields(out, s.itemFields());
      out.writeInt(s.embeddingDim(), true);
      out.writeInt(s.hidden().size(), true);
      for (int h : s.hidden()) {
        out.writeInt(h, true);
      }
      out.writeString(s.activation().name());
      out.writeInt(s.userDim(), true);
      out.writeString(s.feedback().name());
      out.writeBoolean(s.implicitTerm());
      out.writeBoolean(s.userInMlp());
      out.writeBoolean(s.learnedFoldIn());
    }

    @Override
    public ModelSpec read(Kryo kryo, Input in, Class<ModelSpec> type) {
      int numItems = in.readInt(true);
      List<FieldSpec> user = readFields(in);
      List<FieldSpec> item = readFields(in);
      int embeddingDim = in.readInt(true);
      int layers = in.readInt(true);
      List<Integer> hidden = new ArrayList<>(layers);
      for (int l = 0; l < layers; l++) {
        hidden.add(in.readInt(true));
      }
      Activation activation = Activation.valueOf(in.readString());
      int userDim = in.readInt(true);
      Feedback feedback = Feedback.valueOf(in.readString());
      return new ModelSpec(numItems, user, item, embeddingDim, hidden, activation, userDim,
          feedback, in.readBoolean(), in.readBoolean(), in.readBoolean());
    }

    private static void writeFields(Output out, List<FieldSpec> fields) {
      out.writeInt(fields.size(), true);
      for (FieldSpec f : fields) {
        out.writeString(f.name());
        out.writeInt(f.vocabSize(), true);
        out.writeBoolean(f.multiValued());
      }
    }

    private static List<FieldSpec> readFields(Input in) {
      int n = in.readInt(true);
      List<FieldSpec> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(new FieldSpec(in.readString(), in.readInt(true), in.readBoolean()));
      }
      return out;
    }
  }

  /** Writes a {@link ParamLayout} as its spec; the reader rebuilds the layout. */
  static final class Layout extends Serializer<ParamLayout> {
    @Override
    public void write(Kryo kryo, Output out, ParamLayout layout) {
      kryo.writeObject(out, layout.spec());
    }

    @Override
    public ParamLayout read(Kryo kryo, Input in, Class<ParamLayout> type) {
      return new ParamLayout(kryo.readObject(in, ModelSpec.class));
    }
  }
}
