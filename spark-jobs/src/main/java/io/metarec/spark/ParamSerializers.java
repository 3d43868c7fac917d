package io.metarec.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.metarec.meta.SparseRows;
import io.metarec.model.ParamLayout;
import io.metarec.model.Params;

/**
 * Kryo serializers for what holds many row arrays: the accumulators' sparse table rows (each
 * partition sends thousands per iteration) and θ (one row array per item and table: millions for a
 * large catalog). The field serializer would write every row array as an object of its own and
 * track each in its reference map, which at a million items cost more than adapting the tasks
 * (measured: Kryo's {@code IdentityObjectIntMap} was the hottest code of a training run); these
 * write the keys and the values as flat runs of numbers.
 */
final class ParamSerializers {
  private ParamSerializers() {}

  /** {@link SparseRows}: width, count, keys (insertion order), then the rows' floats. */
  static final class Rows extends Serializer<SparseRows> {
    @Override
    public void write(Kryo kryo, Output out, SparseRows r) {
      out.writeInt(r.cols(), true);
      int[] keys = r.keys();
      out.writeInt(keys.length, true);
      out.writeInts(keys, false);
      out.writeFloats(r.flatRows());
    }

    @Override
    public SparseRows read(Kryo kryo, Input in, Class<SparseRows> type) {
      int cols = in.readInt(true);
      int n = in.readInt(true);
      int[] keys = in.readInts(n, false);
      return SparseRows.of(cols, keys, in.readFloats(n * cols));
    }
  }

  /** {@link Params}: the layout (as its spec), then every row of every segment in layout order. */
  static final class Theta extends Serializer<Params> {
    @Override
    public void write(Kryo kryo, Output out, Params p) {
      kryo.writeObject(out, p.layout());
      for (int s = 0; s < p.layout().numSegments(); s++) {
        for (float[] row : p.segment(s)) {
          out.writeFloats(row);
        }
      }
    }

    @Override
    public Params read(Kryo kryo, Input in, Class<Params> type) {
      Params p = new Params(kryo.readObject(in, ParamLayout.class));
      for (int s = 0; s < p.layout().numSegments(); s++) {
        float[][] rows = p.segment(s);
        for (int r = 0; r < rows.length; r++) {
          rows[r] = in.readFloats(rows[r].length);
        }
      }
      p.markChangedInPlace();
      return p;
    }
  }
}
