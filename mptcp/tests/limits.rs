//! Limits against the real kernel.

mod common;

use common::{client, in_ns, namespace};
use mpwan_mptcp::{Error, Limits, Op};

#[test]
fn set_and_get_limits() {
    let Some(ns) = namespace("set_and_get_limits") else {
        return;
    };
    in_ns(&ns, || async {
        let pm = client();
        let limits = Limits {
            subflows: 2,
            add_addr_accepted: 3,
        };
        pm.set_limits(limits).await.unwrap();
        assert_eq!(pm.get_limits().await.unwrap(), limits);
        let shown = ns.run(&["ip", "mptcp", "limits", "show"]).unwrap();
        assert_eq!(shown.trim(), "add_addr_accepted 3 subflows 2");

        let err = pm
            .set_limits(Limits {
                subflows: 9,
                add_addr_accepted: 0,
            })
            .await
            .unwrap_err();
        let Error::Kernel {
            op: Op::SetLimits,
            errno,
            message,
        } = &err
        else {
            panic!("expected a kernel refusal, got {err:?}")
        };
        assert_eq!(*errno, libc::EINVAL);
        assert!(message.as_deref().unwrap_or("").contains("limit"), "{err}");
        assert_eq!(
            pm.get_limits().await.unwrap(),
            limits,
            "a refused change changes nothing"
        );
    });
}
