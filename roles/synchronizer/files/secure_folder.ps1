# The installer's download folder, readable and writable only by SYSTEM and Administrators, owned
# by Administrators, inheriting nothing. msiexec runs the file as SYSTEM after its checksum is
# verified: under C:\ProgramData a standard user may create the folder first (and own it), or keep
# rights in it, and swap the file between the check and the install. A folder fleet did not make
# safe (another owner, other rights) is emptied and made again. Supports check mode.
[CmdletBinding(SupportsShouldProcess = $true)]
param (
    [Parameter(Mandatory = $true)]
    [string]$Path
)
$ErrorActionPreference = 'Stop'
# O:BA owner Administrators; D:PAI protected (no inheritance); full control for SYSTEM and
# Administrators, on the folder, its subfolders and files.
$wanted = 'O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'
$Ansible.Changed = $false

function New-SafeFolder([string]$Folder) {
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm($wanted)
    $null = [System.IO.Directory]::CreateDirectory($Folder, $security)
}

if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
    if ($PSCmdlet.ShouldProcess($Path, 'create with an Administrators-only ACL')) { New-SafeFolder $Path }
    $Ansible.Changed = $true
    return
}
# Safe: owned by Administrators (or SYSTEM), no inherited rights, exactly the two rules above.
$acl = Get-Acl -LiteralPath $Path
$sid = [System.Security.Principal.SecurityIdentifier]
$owner = $acl.GetOwner($sid).Value
$rules = @($acl.GetAccessRules($true, $true, $sid))
$ours = @($rules | Where-Object { $_.AccessControlType -eq 'Allow' -and -not $_.IsInherited -and
                                 $_.FileSystemRights -eq [System.Security.AccessControl.FileSystemRights]::FullControl -and
                                 $_.IdentityReference.Value -in 'S-1-5-18', 'S-1-5-32-544' })
$safe = ($owner -in 'S-1-5-32-544', 'S-1-5-18') -and $acl.AreAccessRulesProtected -and $rules.Count -eq 2 -and
        $ours.Count -eq 2
if (-not $safe) {
    if ($PSCmdlet.ShouldProcess($Path, 'empty and make again with an Administrators-only ACL')) {
        Remove-Item -LiteralPath $Path -Recurse -Force
        New-SafeFolder $Path
    }
    $Ansible.Changed = $true
}
