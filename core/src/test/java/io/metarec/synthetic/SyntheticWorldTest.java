package io.metarec.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metarec.config.MetaRecConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticWorldTest {
  private static SyntheticWorld world(long seed, String... sets) {
    List<String> all = new java.util.ArrayList<>(List.of("generate.size=small"));
    all.addAll(List.of(sets));
    return new SyntheticWorld(MetaRecConfig.load(null, all, Map.of()).generate(), seed);
  }

  @Test
  void sameSeedSameUsersInAnyOrder() {
    SyntheticWorld a = world(7);
    SyntheticWorld b = world(7);
    SyntheticWorld.User late = b.user(123);
    b.user(5);
    SyntheticWorld.User u = a.user(123);
    assertArrayEquals(u.items(), late.items());
    assertArrayEquals(u.ratings(), late.ratings());
    assertArrayEquals(u.timestamps(), late.timestamps());
    assertEquals(u.occupation(), a.features(123).occupation());
  }

  @Test
  void interactionsAreValid() {
    SyntheticWorld w = world(1);
    for (int u = 0; u < 200; u++) {
      SyntheticWorld.User user = w.user(u);
      assertTrue(user.items().length >= 5);
      assertEquals(user.items().length, new HashSet<>(
          java.util.Arrays.stream(user.items()).boxed().toList()).size(), "no repeated item");
      for (int k = 0; k < user.items().length; k++) {
        assertTrue(user.ratings()[k] >= 1 && user.ratings()[k] <= 5);
        assertEquals(user.ratings()[k], Math.round(user.ratings()[k]), 0.0);
        if (k > 0) {
          assertTrue(user.timestamps()[k] > user.timestamps()[k - 1]);
        }
      }
    }
  }

  @Test
  void implicitFeedbackPlantsTheChoiceMoreSharplyAndExplicitIsUnchanged() {
    // Which items users of one cluster pick overlaps more than across clusters; the implicit
    // variant, whose only signal is the choice, widens that gap. The explicit world with auto is
    // the world of 2.5 / 0 exactly (every explicit figure was measured on it).
    SyntheticWorld explicit = world(3);
    SyntheticWorld pinned = world(3, "generate.choiceSharpness=2.5", "generate.choiceThreshold=0");
    assertArrayEquals(explicit.user(17).items(), pinned.user(17).items());
    assertArrayEquals(explicit.user(17).ratings(), pinned.user(17).ratings());
    SyntheticWorld implicit = world(3, "generate.feedback=implicit");
    double explicitLift = clusterOverlapLift(explicit);
    double implicitLift = clusterOverlapLift(implicit);
    assertTrue(explicitLift > 1.05, "explicit lift " + explicitLift);
    // Measured: 1.11 and 1.70: the excess overlap within a cluster is six times larger.
    assertTrue(implicitLift - 1 > 4 * (explicitLift - 1),
        "implicit lift " + implicitLift + " vs explicit " + explicitLift);
  }

  private static SyntheticWorld.User[] firstUsers(SyntheticWorld w, int n) {
    SyntheticWorld.User[] users = new SyntheticWorld.User[n];
    for (int u = 0; u < n; u++) {
      users[u] = w.user(u);
    }
    return users;
  }

  /** Mean shared items of two users of one cluster over that of two users of different ones. */
  private static double clusterOverlapLift(SyntheticWorld w) {
    int n = 300;
    SyntheticWorld.User[] users = firstUsers(w, n);
    double within = 0;
    double across = 0;
    long nw = 0;
    long na = 0;
    for (int a = 0; a < n; a++) {
      Set<Integer> items = new HashSet<>();
      for (int i : users[a].items()) {
        items.add(i);
      }
      for (int b = a + 1; b < n; b++) {
        int shared = 0;
        for (int i : users[b].items()) {
          shared += items.contains(i) ? 1 : 0;
        }
        double norm = Math.sqrt((double) users[a].items().length * users[b].items().length);
        if (users[a].cluster() == users[b].cluster()) {
          within += shared / norm;
          nw++;
        } else {
          across += shared / norm;
          na++;
        }
      }
    }
    return (within / nw) / (across / na);
  }

  @Test
  void clustersShareTastesAndFeaturesSignalTheCluster() {
    // Users of one cluster agree on items more than users of different clusters: the mean rating
    // gap on co-rated items is smaller within a cluster.
    SyntheticWorld w = world(3);
    int n = 600;
    SyntheticWorld.User[] users = firstUsers(w, n);
    double within = 0;
    double across = 0;
    long nw = 0;
    long na = 0;
    int occupationMatches = 0;
    int pairs = 0;
    for (int a = 0; a < 200; a++) {
      Map<Integer, Float> ra = new java.util.HashMap<>();
      for (int k = 0; k < users[a].items().length; k++) {
        ra.put(users[a].items()[k], users[a].ratings()[k]);
      }
      for (int b = a + 1; b < n; b++) {
        boolean same = users[a].cluster() == users[b].cluster();
        if (same) {
          pairs++;
          occupationMatches += users[a].occupation().equals(users[b].occupation()) ? 1 : 0;
        }
        for (int k = 0; k < users[b].items().length; k++) {
          Float r = ra.get(users[b].items()[k]);
          if (r != null) {
            double d = Math.abs(r - users[b].ratings()[k]);
            if (same) {
              within += d;
              nw++;
            } else {
              across += d;
              na++;
            }
          }
        }
      }
    }
    assertTrue(within / nw < 0.9 * (across / na),
        "within-cluster gap " + within / nw + " vs across " + across / na);
    // With featureSignal 0.6 two users of a cluster share an occupation far above chance (1/12).
    assertTrue((double) occupationMatches / pairs > 0.3, "occupation agreement " + occupationMatches);
  }
}
