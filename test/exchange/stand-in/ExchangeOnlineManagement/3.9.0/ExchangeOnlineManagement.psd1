# A stand-in of Exchange Online's ExchangeOnlineManagement module, for smimetrust's tests only.
# See ExchangeOnlineManagement.psm1 for what it does and the environment variables it reads.
@{
    RootModule        = 'ExchangeOnlineManagement.psm1'
    ModuleVersion     = '3.9.0'
    GUID              = '6f1c6f7e-3b0f-4d1f-9c8e-2a5b7c0d9e11'
    Author            = 'smimetrust tests'
    Description       = 'Test stand-in of Connect-ExchangeOnline, Get-SmimeConfig and Set-SmimeConfig. Not Microsoft code.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Connect-ExchangeOnline', 'Disconnect-ExchangeOnline', 'Get-SmimeConfig', 'Set-SmimeConfig')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
