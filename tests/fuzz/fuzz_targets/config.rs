//! The settings reader on arbitrary text: it must never panic, and whatever it accepts must
//! pass its own validation again (a round trip through TOML gives the same settings).
#![no_main]

use custscore::config::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = Settings::from_toml(text) {
        let again = toml::to_string(&s).expect("settings serialise");
        let back = Settings::from_toml(&again).expect("serialised settings are valid");
        assert_eq!(s, back);
    }
});
