package io.metarec.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.metarec.config.MetaRecConfig;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
  private final MetaRecConfig cfg = MetaRecConfig.load();

  @Test
  void runsGetKryoUtcAndOneMebibyteBroadcastBlocks() {
    Map<String, String> o = SparkSessions.options(cfg, "yarn", new Properties());
    assertEquals("org.apache.spark.serializer.KryoSerializer", o.get("spark.serializer"));
    assertEquals(MetaRecKryoRegistrator.class.getName(), o.get("spark.kryo.registrator"));
    assertEquals("UTC", o.get("spark.sql.session.timeZone"));
    assertEquals("1m", o.get("spark.broadcast.blockSize"));
    assertFalse(o.containsKey("spark.ui.enabled"), "cluster runs keep their UI settings");
  }

  @Test
  void aBroadcastBlockSizeGivenToSparkSubmitIsKept() {
    Properties sys = new Properties();
    sys.setProperty("spark.broadcast.blockSize", "8m");
    assertFalse(SparkSessions.options(cfg, "local[2]", sys).containsKey("spark.broadcast.blockSize"));
  }

  @Test
  void localRunsSwitchTheUiAndProgressBarAndUseAdaptiveExecution() {
    Map<String, String> o = SparkSessions.options(cfg, "local[2]", new Properties());
    assertEquals(Boolean.toString(cfg.spark().uiEnabled()), o.get("spark.ui.enabled"));
    assertEquals("false", o.get("spark.ui.showConsoleProgress"));
    assertEquals("true", o.get("spark.sql.adaptive.enabled"));
  }
}
