# What is really installed, whatever fleet recorded: the Synchronizer products registered in
# Programs and Features (any version; both registry views), the version of the service's binary and
# the time of the current boot.
# Read-only; run by ansible.windows.win_powershell, its one output object read by fleet's
# fleet_synchronizer_changes / fleet_synchronizer_verified filters.
#
# A product is the Synchronizer when its ProductCode is synchronizer.product_id, when it is related
# to synchronizer.upgrade_code (Windows Installer's RelatedProducts), when its name starts with
# synchronizer.display_name, or when its InstallLocation is the very folder of the service's binary.
# Never a folder above it: the practice system itself (or C:\, C:\Program Files) may be installed
# there, and what matches here is uninstalled on a reinstall or a removal.
[CmdletBinding()]
param (
    [Parameter(Mandatory = $true)]
    [string]$ServiceName,
    [string]$ProductId = '',
    [string]$UpgradeCode = '',
    [string]$DisplayName = ''
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

$binary = ''
$binaryVersion = ''
$binaryDir = ''
$filter = "Name='{0}'" -f ($ServiceName -replace "'", "''")
$svc = Get-CimInstance -ClassName Win32_Service -Filter $filter -OperationTimeoutSec 60
if ($svc) {
    $exe = [string]$svc.PathName
    if ($exe -match '^"([^"]+)"') { $exe = $Matches[1] } elseif ($exe -match '^(\S+)') { $exe = $Matches[1] }
    $exe = [Environment]::ExpandEnvironmentVariables($exe)
    if ($exe -and (Test-Path -LiteralPath $exe -PathType Leaf)) {
        $binary = $exe
        $binaryDir = Split-Path -Path $exe -Parent
        $v = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($exe)
        $binaryVersion = '{0}.{1}.{2}.{3}' -f $v.FileMajorPart, $v.FileMinorPart, $v.FileBuildPart, $v.FilePrivatePart
        if ($binaryVersion -eq '0.0.0.0') { $binaryVersion = [string]$v.ProductVersion }
    }
}

# Windows Installer's COM object has no type information for PowerShell: its parameterized
# properties are reached through InvokeMember.
function Get-ComProperty($Object, [string]$Name, [object[]]$Arguments = @()) {
    return $Object.GetType().InvokeMember($Name, [System.Reflection.BindingFlags]::GetProperty, $null, $Object,
                                          $Arguments)
}

$related = @{}
if ($UpgradeCode) {
    try {
        $installer = New-Object -ComObject WindowsInstaller.Installer
        $list = Get-ComProperty $installer 'RelatedProducts' @($UpgradeCode)
        $count = [int](Get-ComProperty $list 'Count')
        for ($i = 0; $i -lt $count; $i++) {
            $code = [string](Get-ComProperty $list 'Item' @($i))
            if ($code) { $related[$code.ToUpper()] = $true }
        }
    } catch {
        throw "cannot list the products of UpgradeCode $UpgradeCode (synchronizer.upgrade_code): $($_.Exception.Message)"
    }
}

$products = @{}
foreach ($view in [Microsoft.Win32.RegistryView]::Registry64, [Microsoft.Win32.RegistryView]::Registry32) {
    $hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, $view)
    $uninstall = $hklm.OpenSubKey('SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall')
    if (-not $uninstall) { continue }
    foreach ($keyName in $uninstall.GetSubKeyNames()) {
        $k = $uninstall.OpenSubKey($keyName)
        if (-not $k) { continue }
        $name = [string]$k.GetValue('DisplayName')
        if (-not $name) { continue }
        $code = $keyName.ToUpper()
        $location = ([string]$k.GetValue('InstallLocation')).TrimEnd('\')
        $match = ($ProductId -and $code -eq $ProductId.ToUpper()) -or $related.ContainsKey($code) -or
                 ($DisplayName -and $name.StartsWith($DisplayName, [System.StringComparison]::OrdinalIgnoreCase)) -or
                 ($binaryDir -and $location -and $binaryDir.Equals($location, [System.StringComparison]::OrdinalIgnoreCase))
        if ($match -and -not $products.ContainsKey($code)) {
            $products[$code] = @{ product_code = $code; name = $name; version = [string]$k.GetValue('DisplayVersion') }
        }
    }
}

# The current boot (epoch seconds): an install that asked for a restart (3010) is verified only
# once the server has restarted since.
$os = Get-CimInstance -ClassName Win32_OperatingSystem -OperationTimeoutSec 60
$bootTime = [math]::Floor(($os.LastBootUpTime.ToUniversalTime() -
                           [datetime]::new(1970, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc)).TotalSeconds)

@{ products = @($products.Values | Sort-Object -Property { $_.product_code }); binary = $binary
   binary_version = $binaryVersion; boot_time = [string]$bootTime }
