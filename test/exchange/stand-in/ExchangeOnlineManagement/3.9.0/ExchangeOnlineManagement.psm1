<#
A stand-in of Exchange Online for smimetrust's tests: the four cmdlets the generated scripts call, with the
parameters and types of the real ones (shared/reference/exchange-smime.md §1-§3), behaving as Exchange does:

- Set-SmimeConfig replaces the whole trust list; refuses more than 70,000 bytes, bytes that are not a
  serialized certificate store (parsed here: header, records, end record) and any expired certificate
  (naming the thumbprints, joined by " , "); computes SMIMECertificatesExpiryDate (earliest NotAfter) and
  SMIMEExpiredCertificateThumbprint (the thumbprint of that certificate). $null or empty clears all three.
- Get-SmimeConfig returns every property; the trust list as byte[] (or as base64 text, as some remoting
  paths do, when SMIMETRUST_STANDIN_BYTES is 'base64').
- Nothing works before Connect-ExchangeOnline.

Environment (set by the tests):
  SMIMETRUST_STANDIN_STATE        the JSON file holding the tenant's configuration (created when missing)
  SMIMETRUST_STANDIN_LOG          a file every call is appended to, one JSON line each, in order
  SMIMETRUST_STANDIN_FAIL         comma-separated: Connect, Set, Get (that cmdlet fails)
  SMIMETRUST_STANDIN_STALE_READS  after a Set, this many reads still return the old configuration
  SMIMETRUST_STANDIN_BYTES        'base64' to return the trust list as text
#>

Set-StrictMode -Version 3.0

$script:Connected = $false
$script:SizeLimit = 70000

# Get-SmimeConfig on a fresh tenant (shared/reference/exchange-smime.md §2).
$script:Defaults = [ordered]@{
    OWAAllowUserChoiceOfSigningCertificate          = $false
    OWAAlwaysEncrypt                                = $false
    OWAAlwaysSign                                   = $false
    OWABCCEncryptedEmailForking                     = [uint32]0
    OWACheckCRLOnSend                               = $false
    OWAClearSign                                    = $true
    OWACopyRecipientHeaders                         = $false
    OWACRLConnectionTimeout                         = [uint32]60000
    OWACRLRetrievalTimeout                          = [uint32]10000
    OWADisableCRLCheck                              = $false
    OWADLExpansionTimeout                           = [uint32]60000
    OWAEncryptionAlgorithms                         = '6610'
    OWAEncryptTemporaryBuffers                      = $true
    OWAForceSMIMEClientUpgrade                      = $true
    OWAIncludeCertificateChainAndRootCertificate    = $false
    OWAIncludeCertificateChainWithoutRootCertificate = $false
    OWAIncludeSMIMECapabilitiesInMessage            = $false
    OWAOnlyUseSmartCard                             = $false
    OWASenderCertificateAttributesToDisplay         = ''
    OWASignedEmailCertificateInclusion              = $true
    OWASigningAlgorithms                            = '8004'
    OWATripleWrapSignedEncryptedMail                = $false
    OWAUseKeyIdentifier                             = $false
    OWAUseSecondaryProxiesWhenFindingCertificates   = $true
    NoSignOnReply                                   = $true
}

function Write-StandInLog([string] $Call, $Bound) {
    $path = $env:SMIMETRUST_STANDIN_LOG
    if (-not $path) { return }
    $params = [ordered]@{}
    foreach ($key in @($Bound.Keys | Sort-Object)) {
        $value = $Bound[$key]
        if ($value -is [byte[]]) {
            $sha = [System.Security.Cryptography.SHA256]::Create()
            try { $hex = [System.BitConverter]::ToString($sha.ComputeHash($value)).Replace('-', '') } finally { $sha.Dispose() }
            $params[$key] = [ordered]@{ bytes = $value.Length; sha256 = $hex }
        }
        elseif ($value -is [System.Management.Automation.SwitchParameter]) { $params[$key] = [bool]$value }
        elseif ($null -eq $value) { $params[$key] = $null }
        else { $params[$key] = [ordered]@{ type = $value.GetType().Name; value = $value } }
    }
    $line = ConvertTo-Json -InputObject ([ordered]@{ call = $Call; params = $params }) -Compress -Depth 5
    [System.IO.File]::AppendAllText($path, $line + "`n", (New-Object System.Text.UTF8Encoding -ArgumentList $false))
}

function Test-StandInFailure([string] $Name) {
    $fail = $env:SMIMETRUST_STANDIN_FAIL
    if (-not $fail) { return $false }
    return @($fail.Split(',') | ForEach-Object { $_.Trim() }) -contains $Name
}

function New-StandInError([string] $Message, [System.Management.Automation.ErrorCategory] $Category, [string] $Id) {
    return New-Object System.Management.Automation.ErrorRecord -ArgumentList (New-Object System.InvalidOperationException -ArgumentList $Message), $Id, $Category, $null
}

function Get-StandInState {
    $path = $env:SMIMETRUST_STANDIN_STATE
    if (-not $path) { throw 'SMIMETRUST_STANDIN_STATE is not set.' }
    $state = [ordered]@{ Config = [ordered]@{}; TrustList = $null; ExpiryDate = $null; ExpiryThumbprint = ''; StaleReadsLeft = 0; Stale = $null }
    foreach ($key in $script:Defaults.Keys) { $state.Config[$key] = $script:Defaults[$key] }
    if (Test-Path -LiteralPath $path) {
        $saved = [System.IO.File]::ReadAllText($path) | ConvertFrom-Json
        foreach ($property in $saved.Config.PSObject.Properties) { $state.Config[$property.Name] = ConvertTo-StandInType $property.Name $property.Value }
        foreach ($name in 'TrustList', 'ExpiryDate', 'ExpiryThumbprint', 'StaleReadsLeft', 'Stale') {
            if ($saved.PSObject.Properties[$name]) { $state[$name] = $saved.$name }
        }
        if ($state.ExpiryDate -is [datetime]) { $state.ExpiryDate = $state.ExpiryDate.ToUniversalTime().ToString('o') }
    }
    return $state
}

function ConvertTo-StandInType([string] $Name, $Value) {
    if (-not $script:Defaults.Contains($Name)) { return $Value }
    $default = $script:Defaults[$Name]
    if ($null -eq $Value) { return $null }
    if ($default -is [bool]) { return [bool]$Value }
    if ($default -is [uint32]) { return [uint32]$Value }
    return [string]$Value
}

function Save-StandInState($State) {
    $json = ConvertTo-Json -InputObject $State -Depth 6
    $path = $env:SMIMETRUST_STANDIN_STATE
    $temp = $path + '.tmp'
    [System.IO.File]::WriteAllText($temp, $json, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    Move-Item -LiteralPath $temp -Destination $path -Force
}

function Read-UInt32LE([byte[]] $Bytes, [int] $At) {
    return [uint32]$Bytes[$At] -bor ([uint32]$Bytes[$At + 1] -shl 8) -bor ([uint32]$Bytes[$At + 2] -shl 16) -bor ([uint32]$Bytes[$At + 3] -shl 24)
}

# The certificates of a serialized certificate store; throws FormatException as Exchange does for anything else.
function Read-SerializedStore([byte[]] $Bytes) {
    $wrong = 'SMIMECertificateIssuingCA has wrong format'
    $magic = [byte[]](0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54)
    if ($Bytes.Length -lt 8) { throw (New-Object System.FormatException -ArgumentList $wrong) }
    for ($i = 0; $i -lt 8; $i++) { if ($Bytes[$i] -ne $magic[$i]) { throw (New-Object System.FormatException -ArgumentList $wrong) } }
    $certificates = New-Object System.Collections.Generic.List[object]
    $pos = 8
    $ended = $false
    while ($pos -lt $Bytes.Length) {
        if ($pos + 12 -gt $Bytes.Length) { throw (New-Object System.FormatException -ArgumentList $wrong) }
        $id = Read-UInt32LE $Bytes $pos
        $encoding = Read-UInt32LE $Bytes ($pos + 4)
        $length = Read-UInt32LE $Bytes ($pos + 8)
        if ($id -eq 0) {
            if ($encoding -ne 0 -or $length -ne 0) { throw (New-Object System.FormatException -ArgumentList $wrong) }
            $pos += 12
            $ended = $true
            break
        }
        $start = $pos + 12
        if ([uint64]$length -gt [uint64]($Bytes.Length - $start)) { throw (New-Object System.FormatException -ArgumentList $wrong) }
        if ($id -eq 32) {
            $der = New-Object byte[] $length
            [System.Array]::Copy($Bytes, $start, $der, 0, $length)
            try { $certificates.Add([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($der)) }
            catch { throw (New-Object System.FormatException -ArgumentList $wrong) }
        }
        $pos = $start + $length
    }
    if (-not $ended -or $pos -ne $Bytes.Length) { throw (New-Object System.FormatException -ArgumentList $wrong) }
    return ,$certificates
}

function Connect-ExchangeOnline {
    [CmdletBinding(DefaultParameterSetName = 'UserPrincipalName')]
    param(
        [Parameter(ParameterSetName = 'UserPrincipalName')] [string] $UserPrincipalName,
        [Parameter(ParameterSetName = 'UserPrincipalName')] [switch] $Device,
        [Parameter(ParameterSetName = 'UserPrincipalName')] [switch] $InlineCredential,
        [Parameter(ParameterSetName = 'UserPrincipalName')] [string] $DelegatedOrganization,
        [Parameter(ParameterSetName = 'AppOnlyThumbprint', Mandatory = $true)]
        [Parameter(ParameterSetName = 'AppOnlyCertificate', Mandatory = $true)]
        [Parameter(ParameterSetName = 'AppOnlyFile', Mandatory = $true)]
        [string] $AppId,
        [Parameter(ParameterSetName = 'AppOnlyThumbprint', Mandatory = $true)] [string] $CertificateThumbprint,
        [Parameter(ParameterSetName = 'AppOnlyCertificate', Mandatory = $true)] [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,
        [Parameter(ParameterSetName = 'AppOnlyFile', Mandatory = $true)] [string] $CertificateFilePath,
        [Parameter(ParameterSetName = 'AppOnlyFile')] [System.Security.SecureString] $CertificatePassword,
        [Parameter(ParameterSetName = 'AppOnlyThumbprint', Mandatory = $true)]
        [Parameter(ParameterSetName = 'AppOnlyCertificate', Mandatory = $true)]
        [Parameter(ParameterSetName = 'AppOnlyFile', Mandatory = $true)]
        [string] $Organization,
        [string] $ExchangeEnvironmentName = 'O365Default',
        [string] $ConnectionUri,
        [string] $Prefix,
        [string[]] $CommandName,
        [bool] $ShowBanner = $true,
        [bool] $ShowProgress = $true,
        [switch] $SkipLoadingFormatData
    )
    Write-StandInLog 'Connect-ExchangeOnline' $PSBoundParameters
    if (Test-StandInFailure 'Connect') {
        $PSCmdlet.ThrowTerminatingError((New-StandInError 'AADSTS50076: sign-in failed (stand-in told to fail Connect-ExchangeOnline).' AuthenticationError 'ConnectFailed'))
    }
    if ($PSCmdlet.ParameterSetName -eq 'AppOnlyThumbprint' -and $CertificateThumbprint -notmatch '^[0-9A-Fa-f]{40}$') {
        $PSCmdlet.ThrowTerminatingError((New-StandInError ('No certificate with thumbprint {0} in the certificate stores.' -f $CertificateThumbprint) ObjectNotFound 'CertificateNotFound'))
    }
    $script:Connected = $true
}

function Disconnect-ExchangeOnline {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param([string] $ConnectionId, [string] $ModulePrefix)
    Write-StandInLog 'Disconnect-ExchangeOnline' $PSBoundParameters
    if ($PSCmdlet.ShouldProcess('Exchange Online session', 'Disconnect')) { $script:Connected = $false }
}

function Assert-StandInConnected([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Name) {
    if (-not $script:Connected) {
        $Cmdlet.ThrowTerminatingError((New-StandInError ("The term '{0}' is not recognized: connect with Connect-ExchangeOnline first." -f $Name) ObjectNotFound 'NotConnected'))
    }
}

function ConvertTo-SmimeConfigObject($Snapshot) {
    $out = [ordered]@{ Identity = 'SMIMEConfig'; Name = 'SMIMEConfig' }
    foreach ($key in $script:Defaults.Keys) { $out[$key] = ConvertTo-StandInType $key $Snapshot.Config.$key }
    $bytes = $null
    if ($Snapshot.TrustList) {
        if ($env:SMIMETRUST_STANDIN_BYTES -eq 'base64') { $bytes = [string]$Snapshot.TrustList }
        else { $bytes = [System.Convert]::FromBase64String($Snapshot.TrustList) }
    }
    $out['SMIMECertificateIssuingCA'] = $bytes
    $expiry = $null
    if ($Snapshot.ExpiryDate -is [datetime]) { $expiry = $Snapshot.ExpiryDate.ToUniversalTime() }
    elseif ($Snapshot.ExpiryDate) {
        $expiry = [datetime]::Parse([string]$Snapshot.ExpiryDate, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]'AdjustToUniversal, AssumeUniversal')
    }
    $out['SMIMECertificatesExpiryDate'] = $expiry
    $out['SMIMEExpiredCertificateThumbprint'] = [string]$Snapshot.ExpiryThumbprint
    $out['IsValid'] = $true
    return [pscustomobject]$out
}

function Get-SmimeConfig {
    [CmdletBinding()]
    param([Parameter(Position = 0, ValueFromPipeline = $true)] [string] $Identity)
    Write-StandInLog 'Get-SmimeConfig' $PSBoundParameters
    Assert-StandInConnected $PSCmdlet 'Get-SmimeConfig'
    if (Test-StandInFailure 'Get') {
        $PSCmdlet.ThrowTerminatingError((New-StandInError 'The server is busy (stand-in told to fail Get-SmimeConfig).' ResourceUnavailable 'GetFailed'))
    }
    $state = Get-StandInState
    if ([int]$state.StaleReadsLeft -gt 0 -and $null -ne $state.Stale) {
        $state.StaleReadsLeft = [int]$state.StaleReadsLeft - 1
        Save-StandInState $state
        return ConvertTo-SmimeConfigObject $state.Stale
    }
    return ConvertTo-SmimeConfigObject $state
}

function Set-SmimeConfig {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true)] [string] $Identity,
        [bool] $OWAAllowUserChoiceOfSigningCertificate,
        [bool] $OWAAlwaysEncrypt,
        [bool] $OWAAlwaysSign,
        [uint32] $OWABCCEncryptedEmailForking,
        [bool] $OWACheckCRLOnSend,
        [bool] $OWAClearSign,
        [bool] $OWACopyRecipientHeaders,
        [uint32] $OWACRLConnectionTimeout,
        [uint32] $OWACRLRetrievalTimeout,
        [bool] $OWADisableCRLCheck,
        [uint32] $OWADLExpansionTimeout,
        [string] $OWAEncryptionAlgorithms,
        [bool] $OWAEncryptTemporaryBuffers,
        [bool] $OWAForceSMIMEClientUpgrade,
        [bool] $OWAIncludeCertificateChainAndRootCertificate,
        [bool] $OWAIncludeCertificateChainWithoutRootCertificate,
        [bool] $OWAIncludeSMIMECapabilitiesInMessage,
        [bool] $OWAOnlyUseSmartCard,
        [string] $OWASenderCertificateAttributesToDisplay,
        [bool] $OWASignedEmailCertificateInclusion,
        [string] $OWASigningAlgorithms,
        [bool] $OWATripleWrapSignedEncryptedMail,
        [bool] $OWAUseKeyIdentifier,
        [bool] $OWAUseSecondaryProxiesWhenFindingCertificates,
        [bool] $NoSignOnReply,
        [byte[]] $SMIMECertificateIssuingCA
    )
    Write-StandInLog 'Set-SmimeConfig' $PSBoundParameters
    Assert-StandInConnected $PSCmdlet 'Set-SmimeConfig'
    if (Test-StandInFailure 'Set') {
        $PSCmdlet.ThrowTerminatingError((New-StandInError 'The operation could not be performed because the object is being changed (stand-in told to fail Set-SmimeConfig).' WriteError 'SetFailed'))
    }
    $state = Get-StandInState
    $old = [ordered]@{ Config = [ordered]@{}; TrustList = $state.TrustList; ExpiryDate = $state.ExpiryDate; ExpiryThumbprint = $state.ExpiryThumbprint }
    foreach ($key in $state.Config.Keys) { $old.Config[$key] = $state.Config[$key] }

    if ($PSBoundParameters.ContainsKey('SMIMECertificateIssuingCA')) {
        $bytes = $SMIMECertificateIssuingCA
        if ($null -eq $bytes -or $bytes.Length -eq 0) {
            $state.TrustList = $null; $state.ExpiryDate = $null; $state.ExpiryThumbprint = ''
        }
        else {
            if ($bytes.Length -gt $script:SizeLimit) {
                $PSCmdlet.ThrowTerminatingError((New-StandInError ('The SST file size exceeds the limit of {0} bytes.' -f $script:SizeLimit) LimitsExceeded 'SSTFileSizeExceedLimit'))
            }
            try { $certificates = Read-SerializedStore $bytes }
            catch { $PSCmdlet.ThrowTerminatingError((New-StandInError $_.Exception.Message InvalidData 'FormatException')) }
            $now = [datetime]::UtcNow
            $expired = @($certificates | Where-Object { $_.NotAfter.ToUniversalTime() -lt $now } | ForEach-Object { $_.Thumbprint })
            if ($expired.Count -gt 0) {
                $PSCmdlet.ThrowTerminatingError((New-StandInError ('The following certificates have expired: {0}' -f ($expired -join ' , ')) LimitsExceeded 'ExpiryCertMessage'))
            }
            $first = $certificates | Sort-Object -Property { $_.NotAfter.ToUniversalTime() } | Select-Object -First 1
            $state.TrustList = [System.Convert]::ToBase64String($bytes)
            if ($first) {
                $state.ExpiryDate = $first.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
                $state.ExpiryThumbprint = $first.Thumbprint
            }
            else { $state.ExpiryDate = $null; $state.ExpiryThumbprint = '' }
        }
    }
    foreach ($key in @($script:Defaults.Keys)) {
        if ($PSBoundParameters.ContainsKey($key)) { $state.Config[$key] = $PSBoundParameters[$key] }
    }
    if (-not $PSCmdlet.ShouldProcess('SMIMEConfig', 'Set-SmimeConfig')) { return }
    $stale = 0
    if ($env:SMIMETRUST_STANDIN_STALE_READS) { $stale = [int]$env:SMIMETRUST_STANDIN_STALE_READS }
    $state.StaleReadsLeft = $stale
    $state.Stale = if ($stale -gt 0) { $old } else { $null }
    Save-StandInState $state
}

Export-ModuleMember -Function Connect-ExchangeOnline, Disconnect-ExchangeOnline, Get-SmimeConfig, Set-SmimeConfig
