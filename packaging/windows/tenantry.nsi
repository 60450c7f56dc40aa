; Tenantry's own NSIS installer for Windows, built with Debian's makensis by scripts/lib/windows.sh
; and installed silently under Wine in every full suite run. Tauri's bundler makes the release
; installers on Windows CI; on Linux it would download a plug-in at bundle time (docs/PLATFORMS.md),
; so the suite builds this one. Per user, no administrator: both programs under
; %LOCALAPPDATA%\Programs\Tenantry, that folder on the user's PATH (so `tenantry` runs in a new
; console), tenantry:// opening the desktop app, a Start-menu entry, and an uninstaller that takes
; all of that away and leaves the user's configuration and data.
;
; makensis -DVERSION=0.1.0 -DSOURCE=DIR -DOUTFILE=FILE [-DCOMPRESSOR=zlib] packaging/windows/tenantry.nsi
; DIR (absolute; / as the separator, which makensis takes on Linux and Windows) holds
; tenantry-desktop.exe, tenantry.exe and WebView2Loader.dll.

Unicode true
; The 64-bit stub: the programs are 64-bit, and so is the Wine the suite runs it under.
Target amd64-unicode
!include "LogicLib.nsh"
!include "StrFunc.nsh"
!include "WinMessages.nsh"
${StrStr}
${UnStrRep}

Name "Tenantry ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\Tenantry"
; Solid LZMA for a release; the suite passes -DCOMPRESSOR=zlib, four times quicker on its debug
; builds (half a minute against two on one core).
!ifndef COMPRESSOR
  !define COMPRESSOR "/SOLID lzma"
!endif
SetCompressor ${COMPRESSOR}
Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Tenantry"

Section "Tenantry"
  SetOutPath "$INSTDIR"
  File "${SOURCE}/tenantry-desktop.exe"
  File "${SOURCE}/tenantry.exe"
  File "${SOURCE}/WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; tenantry:// links open the desktop app (the deep-link sign-in and notifications' links).
  WriteRegStr HKCU "Software\Classes\tenantry" "" "URL:Tenantry"
  WriteRegStr HKCU "Software\Classes\tenantry" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\tenantry\shell\open\command" "" '"$INSTDIR\tenantry-desktop.exe" "%1"'

  CreateShortcut "$SMPROGRAMS\Tenantry.lnk" "$INSTDIR\tenantry-desktop.exe"

  ; The command line on the user's PATH, once.
  ReadRegStr $0 HKCU "Environment" "Path"
  ${StrStr} $1 "$0" "$INSTDIR"
  ${If} $1 == ""
    ${If} $0 == ""
      WriteRegExpandStr HKCU "Environment" "Path" "$INSTDIR"
    ${Else}
      WriteRegExpandStr HKCU "Environment" "Path" "$0;$INSTDIR"
    ${EndIf}
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
  ${EndIf}

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Tenantry"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Tenantry"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\tenantry-desktop.exe"
  Delete "$INSTDIR\tenantry.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Tenantry.lnk"
  DeleteRegKey HKCU "Software\Classes\tenantry"
  ReadRegStr $0 HKCU "Environment" "Path"
  ${UnStrRep} $0 "$0" ";$INSTDIR" ""
  ${UnStrRep} $0 "$0" "$INSTDIR" ""
  WriteRegExpandStr HKCU "Environment" "Path" "$0"
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
