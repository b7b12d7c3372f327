use mpwan_lab::{NetNs, skip_without_netns};

#[test]
fn namespace_is_created_entered_and_removed() {
    if skip_without_netns("namespace_is_created_entered_and_removed") {
        return;
    }
    let name;
    {
        let ns = NetNs::create_unique("t").unwrap();
        name = ns.name().to_string();
        let links = ns.run(&["ip", "-o", "link"]).unwrap();
        assert!(links.contains("lo:"), "{links}");
        // A thread that entered the namespace sees only its loopback.
        let dev = ns
            .enter(|| std::fs::read_to_string("/proc/thread-self/net/dev"))
            .unwrap()
            .unwrap();
        let ifaces: Vec<&str> = dev
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .collect();
        assert_eq!(
            ifaces.iter().map(|s| s.trim()).collect::<Vec<_>>(),
            ["lo"],
            "{dev}"
        );
    }
    let all = mpwan_lab::netns::ip(&["netns", "list"]).unwrap();
    assert!(!all.contains(&name), "{name} left behind: {all}");
}
