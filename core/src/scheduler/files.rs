//! The files each scheduler reads, as text: pure, so every platform's are tested everywhere.

use super::{Job, RUN_HOUR, RUN_MINUTE};
use crate::quote::{shell_quote, systemd_quote, windows_quote, xml_escape};

impl Job {
    /// `NAME.service`: one keep-alive run. systemd user services see the session's D-Bus, so
    /// the keychain is reachable while the user is logged in.
    pub fn systemd_service(&self) -> String {
        let exec: Vec<String> = std::iter::once(self.exe.display().to_string())
            .chain(self.args())
            .map(|a| systemd_quote(&a))
            .collect();
        format!(
            "# Written by `tenantry keepalive --install`; removed by `--uninstall`.\n\
             [Unit]\n\
             Description=Tenantry keep-alive ({profile}): refresh Xero logins before 60 days unused\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             ExecStart={exec}\n",
            profile = self.profile.replace('%', "%%"),
            exec = exec.join(" "),
        )
    }

    /// `NAME.timer`: daily, catching up after the machine was off (`Persistent`).
    pub fn systemd_timer(&self) -> String {
        format!(
            "# Written by `tenantry keepalive --install`; removed by `--uninstall`.\n\
             [Unit]\n\
             Description=Run Tenantry keep-alive ({profile}) daily\n\
             \n\
             [Timer]\n\
             OnCalendar=*-*-* {RUN_HOUR:02}:{RUN_MINUTE:02}:00\n\
             Persistent=true\n\
             RandomizedDelaySec=15min\n\
             Unit={name}.service\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n",
            profile = self.profile.replace('%', "%%"),
            name = self.name(),
        )
    }

    /// The crontab line. Cron jobs get no session environment, so the line points D-Bus at the
    /// user's session bus, where the keychain lives (and the notification daemon). Its output is
    /// kept: keep-alive is silent when all is well, so cron mails only what needs a person. Ends
    /// with a marker naming the profile, by which install and uninstall find it and touch no
    /// other line.
    pub fn cron_line(&self) -> String {
        let command: Vec<String> = std::iter::once(self.exe.display().to_string())
            .chain(self.args())
            .map(|a| shell_quote(&a).replace('%', "\\%"))
            .collect();
        format!(
            "{RUN_MINUTE} {RUN_HOUR} * * * DBUS_SESSION_BUS_ADDRESS=${{DBUS_SESSION_BUS_ADDRESS:-unix:path=/run/user/$(id -u)/bus}} {} {}",
            command.join(" "),
            self.cron_marker()
        )
    }

    pub(super) fn cron_marker(&self) -> String {
        format!("# {}", self.name())
    }

    /// The launchd agent's label and plist (`~/Library/LaunchAgents/LABEL.plist`).
    pub fn launchd_label(&self) -> String {
        format!("app.tenantry.{}", self.name())
    }

    pub fn launchd_plist(&self) -> String {
        let args: String = std::iter::once(self.exe.display().to_string())
            .chain(self.args())
            .map(|a| format!("\n    <string>{}</string>", xml_escape(&a)))
            .collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by `tenantry keepalive --install`; removed by `--uninstall`. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{label}</string>
  <key>ProgramArguments</key>
  <array>{args}
  </array>
  <key>StartCalendarInterval</key>
  <dict>
    <key>Hour</key>
    <integer>{RUN_HOUR}</integer>
    <key>Minute</key>
    <integer>{RUN_MINUTE}</integer>
  </dict>
  <key>ProcessType</key>
  <string>Background</string>
</dict>
</plist>
"#,
            label = xml_escape(&self.launchd_label()),
        )
    }

    /// The Task Scheduler task's name and its XML (`schtasks /Create /XML`).
    pub fn task_name(&self) -> String {
        format!("Tenantry\\{}", self.name())
    }

    /// The task file as `schtasks /XML` reads it: the XML in UTF-16LE after a byte-order mark,
    /// as its declaration says (the form Task Scheduler itself exports).
    pub fn task_file(&self) -> Vec<u8> {
        utf16le_with_bom(&self.task_xml())
    }

    pub fn task_xml(&self) -> String {
        let args: Vec<String> = self.args().iter().map(|a| windows_quote(a)).collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Tenantry keep-alive ({profile}): refresh Xero logins before 60 days unused. Written by `tenantry keepalive --install`.</Description>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>2026-01-01T{RUN_HOUR:02}:{RUN_MINUTE:02}:00</StartBoundary>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{exe}</Command>
      <Arguments>{args}</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
            profile = xml_escape(&self.profile),
            exe = xml_escape(&self.exe.display().to_string()),
            args = xml_escape(&args.join(" ")),
        )
    }
}

/// `text` in UTF-16, little-endian, after the byte-order mark FF FE.
fn utf16le_with_bom(text: &str) -> Vec<u8> {
    [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::scheduler) fn job(profile: &str, exe: &str) -> Job {
        Job {
            exe: exe.into(),
            profile: profile.into(),
            config: None,
            data_dir: None,
        }
    }

    #[test]
    fn the_systemd_units_run_the_scheduled_keepalive_daily_and_catch_up() {
        let job = Job {
            config: Some("/home/me/my $conf%.toml".into()),
            ..job("work", "/opt/Ten antry/tenantry")
        };
        let service = job.systemd_service();
        assert!(
            service.contains(
                r#"ExecStart="/opt/Ten antry/tenantry" "--profile" "work" "--config" "/home/me/my $$conf%%.toml" "keepalive" "--scheduled""#
            ),
            "a path with spaces, $ and % must reach the program unchanged:\n{service}"
        );
        assert!(service.contains("Type=oneshot"));
        let timer = job.systemd_timer();
        for line in [
            "OnCalendar=*-*-* 12:17:00",
            "Persistent=true",
            "Unit=tenantry-keepalive-work.service",
            "WantedBy=timers.target",
        ] {
            assert!(
                timer.lines().any(|l| l == line),
                "{line}: daily, and a day missed while the laptop was shut runs at the next boot"
            );
        }
    }

    #[test]
    fn the_cron_line_reaches_the_session_keychain_and_carries_its_marker() {
        let line = job("o'brien", "/usr/bin/tenantry").cron_line();
        assert!(
            line.starts_with("17 12 * * * DBUS_SESSION_BUS_ADDRESS="),
            "daily at 12:17, with the session bus the keychain needs: {line}"
        );
        assert!(
            line.contains(r"/usr/bin/tenantry --profile 'o'\''brien' keepalive --scheduled"),
            "arguments are shell-quoted: {line}"
        );
        assert!(line.ends_with("# tenantry-keepalive-o_brien"));
        let percent = job("100%", "/usr/bin/tenantry").cron_line();
        assert!(
            percent.contains(r"'100\%'"),
            "cron turns a bare % into a newline, so it is escaped: {percent}"
        );
    }

    #[test]
    fn the_launchd_agent_is_well_formed_and_escaped() {
        let plist = job(
            "R&D <east>",
            "/Applications/Tenantry.app/Contents/MacOS/tenantry",
        )
        .launchd_plist();
        assert!(plist.contains("<string>app.tenantry.tenantry-keepalive-R_D__east_</string>"));
        assert!(
            plist.contains("<string>R&amp;D &lt;east&gt;</string>"),
            "XML special characters in an argument are escaped:\n{plist}"
        );
        assert!(plist.contains("<key>Hour</key>\n    <integer>12</integer>"));
        assert_eq!(
            plist.matches("<dict>").count(),
            plist.matches("</dict>").count(),
            "balanced"
        );
        assert_eq!(
            plist.matches("<string>").count(),
            plist.matches("</string>").count()
        );
        assert!(
            !plist.contains("RunAtLoad"),
            "installing must not run it at once"
        );
    }

    #[test]
    fn the_windows_task_runs_daily_when_available_and_quotes_arguments() {
        let job = Job {
            config: Some(r#"C:\Users\Me\My Config\"x".toml"#.into()),
            ..job("default", r"C:\Program Files\Tenantry\tenantry.exe")
        };
        let xml = job.task_xml();
        assert!(xml.contains(r"<Command>C:\Program Files\Tenantry\tenantry.exe</Command>"));
        assert!(
            xml.contains(
                r#"<Arguments>--profile default --config &quot;C:\Users\Me\My Config\\\&quot;x\&quot;.toml&quot; keepalive --scheduled</Arguments>"#
            ),
            "a config path with spaces and quotes survives Windows' argument rules:\n{xml}"
        );
        assert!(xml.contains("<StartWhenAvailable>true</StartWhenAvailable>"));
        assert!(xml.contains("<DaysInterval>1</DaysInterval>"));
        assert_eq!(job.task_name(), r"Tenantry\tenantry-keepalive");
    }

    #[test]
    fn the_task_file_is_utf16le_as_it_declares() {
        let job = job("Büro", r"C:\Program Files\Tenantry\tenantry.exe");
        let file = job.task_file();
        assert_eq!(
            &file[..2],
            &[0xFF, 0xFE],
            "a UTF-16LE byte-order mark opens the file"
        );
        let units: Vec<u16> = file[2..]
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let text = String::from_utf16(&units).expect("the rest is UTF-16LE");
        assert_eq!(
            text,
            job.task_xml(),
            "decoded, it is the task's XML, non-ASCII intact"
        );
        assert!(
            text.starts_with(r#"<?xml version="1.0" encoding="UTF-16"?>"#),
            "the declaration names the encoding the bytes are in"
        );
    }
}
