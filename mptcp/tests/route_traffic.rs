//! Traffic through a WAN's table: packets from WAN 1's address, or bound to
//! its device, reach a target only ISP 1 can reach, even when the main
//! table's only default route leaves through WAN 2.

mod route_common;

use mpwan_mptcp::route::{Family, FamilyStatus};
use route_common::*;

#[test]
fn a_wan_table_carries_traffic_the_main_table_sends_elsewhere() {
    let Some(t) = topo("a_wan_table_carries_traffic_the_main_table_sends_elsewhere") else {
        return;
    };
    // The control: the main table sends everything out of wan2, where the
    // target is unknown, whatever the source address says.
    assert!(
        ping_fails(&t.gw, &["-I", WAN1_V4, TARGET_V4]),
        "without policy routing a ping from WAN 1's address leaves through wan2 and is lost"
    );
    assert!(ping_fails(&t.gw, &["-6", "-I", WAN1_V6, TARGET_V6]));

    let report = in_ns(&t.gw, || async {
        let mut m = manager();
        m.apply(&observe(&m).await).await.expect("apply")
    });
    assert!(report.is_ok(), "{report:#?}");

    // WAN 1 loses its default routes in the main table.
    batch(
        &t.gw,
        "route del default via 10.101.0.1 dev wan1 metric 20\n\
         route del ::/0 via fe80::1 dev wan1 metric 20\n",
    );
    assert!(
        ping(&t.gw, &["-I", WAN1_V4, TARGET_V4]),
        "IPv4 from WAN 1's address"
    );
    assert!(
        ping(&t.gw, &["-6", "-I", WAN1_V6, TARGET_V6]),
        "IPv6 from WAN 1's address"
    );
    assert!(
        ping(&t.gw, &["-6", "-I", "wan1", TARGET_V6]),
        "IPv6 bound to wan1"
    );
    // Unbound traffic still follows the main table, out of wan2: lost.
    assert!(ping_fails(&t.gw, &[TARGET_V4]));
    assert!(ping_fails(&t.gw, &["-6", TARGET_V6]));

    // The agent looks again: the table keeps its default routes.
    let report = in_ns(&t.gw, || async {
        let mut m = manager();
        m.apply(&observe(&m).await).await.expect("apply")
    });
    assert_eq!(report.done, vec![], "{report:#?}");
    for family in Family::ALL {
        assert!(
            matches!(report.wans[0].family(family), FamilyStatus::Kept { .. }),
            "{:?}",
            report.wans[0]
        );
    }
    assert!(ping(&t.gw, &["-I", WAN1_V4, TARGET_V4]));

    // Without the table, the same ping is lost again: the table was what
    // carried it.
    let cleaned = in_ns(&t.gw, || async {
        manager().cleanup().await.expect("cleanup")
    });
    assert!(cleaned.is_ok(), "{cleaned:#?}");
    assert!(ping_fails(&t.gw, &["-I", WAN1_V4, TARGET_V4]));
    assert!(ping_fails(&t.gw, &["-6", "-I", WAN1_V6, TARGET_V6]));
}
