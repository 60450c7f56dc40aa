//! A tray host for the desktop tests: it plays the panel's part of the StatusNotifierItem
//! protocol on the test's session bus (`org.kde.StatusNotifierWatcher`), so the app's tray icon
//! registers with it; the test then reads the icon's menu and clicks its items over
//! `com.canonical.dbusmenu`, exactly as a desktop panel does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

#[derive(Default)]
struct Watcher {
    items: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        // Items register a path (with their unique name as sender) or a bus name.
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let item = if service.starts_with('/') {
            format!("{sender}{service}")
        } else {
            format!("{service}/StatusNotifierItem")
        };
        self.items.lock().unwrap().push(item);
    }

    async fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    async fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().unwrap().clone()
    }

    #[zbus(property)]
    async fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    async fn protocol_version(&self) -> i32 {
        0
    }
}

pub struct TrayHost {
    connection: zbus::Connection,
    items: Arc<Mutex<Vec<String>>>,
}

#[derive(Debug, Clone)]
pub struct MenuEntry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
}

impl TrayHost {
    pub async fn start() -> Self {
        let watcher = Watcher::default();
        let items = watcher.items.clone();
        let connection = crate::notify_daemon::serve(
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            watcher,
        )
        .await;
        Self { connection, items }
    }

    /// The registered item as (bus name, object path), once the app has registered it.
    pub fn item(&self) -> Option<(String, String)> {
        let items = self.items.lock().unwrap();
        let last = items.last()?;
        let slash = last.find('/')?;
        Some((last[..slash].to_owned(), last[slash..].to_owned()))
    }

    async fn item_property(&self, name: &str) -> Option<OwnedValue> {
        let (bus, path) = self.item()?;
        let reply = self
            .connection
            .call_method(
                Some(bus.as_str()),
                path.as_str(),
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &("org.kde.StatusNotifierItem", name),
            )
            .await
            .ok()?;
        reply.body().deserialize::<OwnedValue>().ok()
    }

    /// The colour at the centre of the icon the panel would draw, as ImageMagick names it
    /// (`#RRGGBB…`). On Linux the icon is a PNG file named by `IconName` (and `IconThemePath`).
    pub async fn icon_centre(&self) -> Option<String> {
        let dir: String = self.item_property("IconThemePath").await?.try_into().ok()?;
        let name: String = self.item_property("IconName").await?.try_into().ok()?;
        // libayatana-appindicator also accepts (and Tauri sends) a full path as the name.
        let file = if name.starts_with('/') {
            std::path::PathBuf::from(name)
        } else {
            std::path::Path::new(&dir).join(format!("{name}.png"))
        };
        let out = std::process::Command::new("convert")
            .arg(&file)
            .args(["-format", "#%[hex:p{16,16}]", "info:"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    async fn menu_path(&self) -> Option<(String, OwnedObjectPath)> {
        let (bus, _) = self.item()?;
        let path: OwnedObjectPath = self.item_property("Menu").await?.try_into().ok()?;
        Some((bus, path))
    }

    /// The menu's items, in order (separators left out).
    pub async fn menu(&self) -> Option<Vec<MenuEntry>> {
        let (bus, path) = self.menu_path().await?;
        let reply = self
            .connection
            .call_method(
                Some(bus.as_str()),
                path.as_str(),
                Some("com.canonical.dbusmenu"),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .await
            .ok()?;
        type Node = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);
        let (_revision, (_id, _props, children)): (u32, Node) = reply.body().deserialize().ok()?;
        let mut entries = Vec::new();
        for child in children {
            let (id, props, _): Node = child.try_into().ok()?;
            let text = |key: &str| {
                props
                    .get(key)
                    .and_then(|v| <&str>::try_from(&**v).ok().map(str::to_owned))
            };
            if text("type").as_deref() == Some("separator") {
                continue;
            }
            let enabled = props
                .get("enabled")
                .is_none_or(|v| matches!(&**v, Value::Bool(true)));
            entries.push(MenuEntry {
                id,
                label: text("label").unwrap_or_default().replace('_', ""),
                enabled,
            });
        }
        Some(entries)
    }

    /// Clicks the item whose label starts with `label`, as a panel does.
    pub async fn click(&self, label: &str) {
        let entry = self
            .menu()
            .await
            .and_then(|m| m.into_iter().find(|e| e.label.starts_with(label)))
            .unwrap_or_else(|| panic!("the tray menu has an item `{label}`"));
        let (bus, path) = self.menu_path().await.unwrap();
        self.connection
            .call_method(
                Some(bus.as_str()),
                path.as_str(),
                Some("com.canonical.dbusmenu"),
                "Event",
                &(entry.id, "clicked", Value::from(0i32), 0u32),
            )
            .await
            .expect("the menu takes the click");
    }
}
